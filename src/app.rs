//! The commands, between `main` (configuration, exit code) and the library. Each returns
//! the exit status: 0 fine, 1 something over the threshold (or unhealthy), 2 bad
//! configuration or an unreadable `/proc`.

use std::io::Write;

use crate::config::{help_text, Command, Config};
use crate::report;
use crate::scan::{ScanError, ScanReport, Scanner, Visibility};

/// Adapts any `std::io::Write` to ufmt.
pub struct IoWriter<W: Write>(pub W);

impl<W: Write> ufmt::uWrite for IoWriter<W> {
    type Error = std::io::Error;
    fn write_str(&mut self, s: &str) -> Result<(), std::io::Error> {
        self.0.write_all(s.as_bytes())
    }
}

pub fn run(cfg: &Config) -> u8 {
    match cfg.command {
        Command::Help => {
            print!("{}", help_text());
            0
        }
        Command::Version => {
            println!("lingerwatch {}", env!("CARGO_PKG_VERSION"));
            0
        }
        Command::Scan => scan_once(cfg),
        Command::Run => crate::daemon::run(cfg),
        Command::Health => health(cfg),
    }
}

/// Opens the scanner, or says why not (exit 2).
pub fn open_scanner(cfg: &Config) -> Result<Scanner, u8> {
    Scanner::new(&cfg.proc_root, cfg.scan.clone()).map_err(|e| {
        eprintln!(
            "lingerwatch: cannot open {} (WATCHDOG_PROC_ROOT): {}",
            cfg.proc_root.display(),
            std::io::Error::from_raw_os_error(e.raw_os_error())
        );
        2
    })
}

/// Warns once when this `/proc` cannot be the host's, and says what to fix.
pub fn warn_visibility(scanner: &mut Scanner, pids_seen: u32) {
    let why = match scanner.visibility() {
        Visibility::Host => return,
        Visibility::OwnNamespaceAsInit => "lingerwatch is pid 1 here, so it sees only its own PID namespace",
        Visibility::Restricted => {
            "no kernel threads are visible, so this is not the host PID namespace (or /proc is mounted with hidepid/subset=pid)"
        }
    };
    eprintln!(
        "lingerwatch: warning: {why}; only {pids_seen} processes are visible. Run it with `pid: host` (compose) or `hostPID: true` (Kubernetes), and mount /proc without hidepid."
    );
}

/// Reports the counters of a scan that users should know about.
pub fn warn_counts(report: &ScanReport) {
    if report.not_tracked > 0 {
        eprintln!(
            "lingerwatch: warning: {} more matching processes than the {} tracked; they are not shown",
            report.not_tracked,
            crate::scan::MAX_FOUND
        );
    }
    if report.denied > 0 {
        eprintln!(
            "lingerwatch: warning: permission denied reading {} processes (hidepid, or another user's); run as a user that may read them",
            report.denied
        );
    }
    if report.errors > 0 {
        eprintln!(
            "lingerwatch: warning: skipped {} processes with unreadable or malformed /proc files",
            report.errors
        );
    }
}

fn scan_once(cfg: &Config) -> u8 {
    let mut scanner = match open_scanner(cfg) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut report = Box::<ScanReport>::default();
    if let Err(ScanError::ProcUnreadable(errno)) =
        scanner.scan(crate::sys::boot_clock_ms(), &mut report)
    {
        eprintln!(
            "lingerwatch: cannot list {}: {}",
            cfg.proc_root.display(),
            std::io::Error::from_raw_os_error(errno)
        );
        return 2;
    }
    warn_visibility(&mut scanner, report.pids_seen);
    warn_counts(&report);

    let mut out = IoWriter(std::io::stdout().lock());
    let written: Result<(), std::io::Error> = (|| {
        if cfg.json {
            for f in &report.found {
                report::write_json_line(&mut out, f)?;
                ufmt::uWrite::write_str(&mut out, "\n")?;
            }
        } else {
            report::write_table_header(&mut out)?;
            for f in &report.found {
                report::write_table_row(&mut out, f)?;
            }
        }
        out.0.flush()
    })();
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("lingerwatch: cannot write the report: {e}");
            return 2;
        }
    }
    u8::from(report.any_over_threshold())
}

fn health(cfg: &Config) -> u8 {
    use crate::heartbeat::{check, Health};
    let path = cfg.heartbeat_file.display();
    match check(&cfg.heartbeat_file) {
        Health::Healthy { age_ms } => {
            println!(
                "healthy: last tick {}.{:03}s ago ({path})",
                age_ms / 1000,
                age_ms % 1000
            );
            0
        }
        Health::Stale { age_ms, limit_ms } => {
            println!(
                "unhealthy: last tick {}s ago, more than three intervals ({}s): the daemon is stuck or gone ({path})",
                age_ms / 1000,
                limit_ms / 1000
            );
            1
        }
        Health::Missing => {
            println!("unhealthy: no heartbeat in {path}: the daemon has not completed a tick");
            1
        }
    }
}
