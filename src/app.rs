//! The commands, between `main` (configuration, exit code) and the library. Each returns
//! the exit status: 0 fine, 1 something over the threshold (or unhealthy), 2 bad
//! configuration, an unreadable `/proc`, a scan blind to other users' processes, or a
//! stdout that cannot be written.

use std::io::Write;

use crate::config::{help_text, Command, Config};
use crate::daemon::warnings;
use crate::host::heartbeat::record::Health;
use crate::host::sandbox::Plan;
use crate::log;
use crate::proc::found::{ScanError, ScanReport};
use crate::proc::report;

/// Adapts any `std::io::Write` to ufmt.
pub(crate) struct IoWriter<W: Write>(pub W);

impl<W: Write> ufmt::uWrite for IoWriter<W> {
    type Error = std::io::Error;
    fn write_str(&mut self, s: &str) -> Result<(), std::io::Error> {
        self.0.write_all(s.as_bytes())
    }
}

pub fn run(cfg: &Config) -> u8 {
    match cfg.command {
        Command::Help => print(&help_text()),
        Command::Version => print(&format!("lingerwatch {}\n", env!("CARGO_PKG_VERSION"))),
        Command::Scan => scan_once(cfg),
        Command::Run => crate::daemon::run(cfg),
        Command::Health => health(cfg),
        Command::SandboxProbe => crate::daemon::probe(cfg),
    }
}

/// Writes `text` to stdout: 0, or 2 (quietly) when stdout cannot take it (closed, full).
fn print(text: &str) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(_) => 2,
    }
}

fn scan_once(cfg: &Config) -> u8 {
    let mut scanner = match warnings::open_scanner(&cfg.proc_root, cfg.scan.clone()) {
        Ok(s) => s.with_pods_dir(&cfg.kubelet_pods_dir),
        Err(code) => return code,
    };
    // A scan needs no network, no thread and no writing; with reads confined, nothing
    // but the /proc it reads.
    let plan = Plan {
        confine_reads: cfg.confine_reads,
        read_trees: vec![cfg.proc_root.clone()],
        ..Plan::default()
    };
    if let Err(code) = crate::host::sandbox::confine(cfg.sandbox.on(), &plan) {
        return code;
    }
    let mut report = Box::<ScanReport>::default();
    if let Err(code) = scan_sampled(cfg, &mut scanner, &mut report) {
        return code;
    }
    warnings::namespace(scanner.namespace(), report.pids_seen);
    warnings::counts(&report);
    let blind = scanner.blindness(&report);
    if let Some(b) = blind {
        warnings::blindness(b);
    }
    if let Err(e) = write_report(cfg, &report) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            log!("cannot write the report: {e}");
            return 2;
        }
    }
    if blind.is_some() {
        2
    } else {
        u8::from(report.tops().any(|f| cfg.threshold.lingers(f)))
    }
}

/// One scan, or with `--sample-s N` two scans N seconds apart, so that the second has
/// rates over that interval. The wait starts when the first scan ends, which is when it
/// read the counters (after its listing, which a loaded host can make take seconds).
fn scan_sampled(
    cfg: &Config,
    scanner: &mut crate::proc::scan::Scanner,
    report: &mut ScanReport,
) -> Result<(), u8> {
    let scans = if cfg.sample_s.is_some() { 2 } else { 1 };
    for i in 0..scans {
        if i > 0 {
            let wait_ms = cfg.sample_s.unwrap_or(0).saturating_mul(1000);
            let from = crate::proc::sys::boot_clock_ms();
            crate::proc::sys::sleep_until_boot_ms(from.saturating_add(wait_ms));
        }
        if let Err(ScanError::ProcUnreadable(errno)) =
            scanner.scan(crate::proc::sys::boot_clock_ms(), &[], report)
        {
            log!(
                "cannot list {}: {}",
                cfg.proc_root.display(),
                std::io::Error::from_raw_os_error(errno)
            );
            return Err(2);
        }
    }
    Ok(())
}

/// The matches as a table, or as JSON lines with `--json`.
fn write_report(cfg: &Config, scan: &ScanReport) -> std::io::Result<()> {
    // Stdout is line-buffered: one write for the whole report, not one per line (issue
    // 23: a scan of a host with many matches made as many write calls).
    let mut out = IoWriter(std::io::BufWriter::with_capacity(
        16 * 1024,
        std::io::stdout().lock(),
    ));
    if cfg.json {
        for f in scan.tops() {
            report::write_json_line(&mut out, f, cfg.threshold.lingers(f))?;
            ufmt::uWrite::write_str(&mut out, "\n")?;
        }
    } else {
        report::write_table_header(&mut out)?;
        for f in scan.tops() {
            report::write_table_row(&mut out, f, cfg.threshold.lingers(f))?;
        }
    }
    out.0.flush()
}

fn health(cfg: &Config) -> u8 {
    // Health reads the heartbeat and this boot's id; with reads confined, nothing else.
    let plan = Plan {
        confine_reads: cfg.confine_reads,
        read_files: vec![
            cfg.heartbeat_file.clone(),
            crate::proc::sys::BOOT_ID_PATH.into(),
        ],
        ..Plan::default()
    };
    if let Err(code) = crate::host::sandbox::confine(cfg.sandbox.on(), &plan) {
        return code;
    }
    let path = cfg.heartbeat_file.display();
    let record = match crate::host::heartbeat::read(&cfg.heartbeat_file) {
        Ok(r) => r,
        Err(e) => {
            return match print(&format!("unhealthy: cannot use {path}: {e}\n")) {
                0 => 1,
                _ => 2,
            };
        }
    };
    let boot_id = crate::proc::sys::boot_id();
    let (code, line) = match crate::host::heartbeat::record::judge(record.as_ref(), crate::proc::sys::boot_clock_ms(), &boot_id) {
        Health::Healthy { age_ms, memory_low } => (
            0,
            format!(
                "healthy: last tick {}.{:03}s ago ({path}){}",
                age_ms / 1000,
                age_ms % 1000,
                if memory_low {
                    "; warning: the memory limit is below what /proc needs on this host (see the daemon's log)"
                } else {
                    ""
                }
            ),
        ),
        Health::Stale { age_ms, limit_ms } => (1, format!(
            "unhealthy: last tick {}s ago, more than three intervals ({}s): the daemon is stuck or gone ({path})",
            age_ms / 1000,
            limit_ms / 1000
        )),
        Health::Future { ahead_ms } => (1, format!(
            "unhealthy: the last tick is dated {}s in the future: not a record of this clock ({path})",
            ahead_ms / 1000
        )),
        Health::OtherBoot => (1, format!(
            "unhealthy: the heartbeat in {path} was written before the last boot: the daemon has not ticked since"
        )),
        Health::Blind => (1, format!(
            "unhealthy: the daemon ticks but is blind to other users' processes (hidepid, or reads refused; see its log) ({path})"
        )),
        Health::Missing => (1, format!(
            "unhealthy: no heartbeat in {path}: the daemon has not completed a tick"
        )),
    };
    match print(&format!("{line}\n")) {
        0 => code,
        _ => 2,
    }
}
