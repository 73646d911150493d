//! The daemon's log lines that are more than a sentence: the start-up summary, the answer
//! to each signal (SIGUSR1 prints the alert table), and what a tick gave up.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::alert::policy::Threshold;
use crate::alert::{AlertView, End, Subject, TickSummary, ALERT_CAPACITY};
use crate::config::Config;
use crate::deliver::courier::Shared;
use crate::host::heartbeat::FileError;
use crate::host::signals::{Signal, Signals};
use crate::log;
use crate::proc::found::ScanReport;
use crate::proc::parse::cmdline::PatternSet;
use crate::proc::sys::boot_clock_ms;
use crate::text::{count, duration};

fn patterns(set: &PatternSet) -> String {
    let list: Vec<String> = set
        .iter()
        .map(|p| String::from_utf8_lossy(p.as_bytes()).into_owned())
        .collect();
    if list.is_empty() {
        "-".into()
    } else {
        list.join(",")
    }
}

/// The start-up summary: what it watches, where alerts go, how. One line.
pub(super) fn startup(
    cfg: &Config,
    host: &str,
    destinations: &[String],
    memory: &str,
    confinement: Option<crate::host::sandbox::Status>,
) {
    let watching = if cfg.enabled {
        "watching"
    } else {
        "DISABLED by WATCHDOG_PROC_ENABLED=false, idle; would watch"
    };
    let orphans = if cfg.threshold.orphans_only {
        ", orphans only"
    } else {
        ""
    };
    let metrics = match &cfg.textfile {
        Some(p) => format!("; metrics to {}", p.display()),
        None => String::new(),
    };
    let confined = match confinement {
        Some(status) => status.to_string(),
        None => format!(
            "WARNING: sandbox off ({}): no Landlock, no seccomp",
            cfg.sandbox.off_by().unwrap_or("WATCHDOG_SANDBOX=false")
        ),
    };
    log!(
        "lingerwatch {}: {watching} {} every {}s for [{}] (exclude [{}]) older than {}{orphans}; alerts to {} as {} (timeout {}s, cooldown {}, lang {}, host {host}); heartbeat {}{metrics}; {memory}; {confined}",
        env!("CARGO_PKG_VERSION"),
        cfg.proc_root.display(),
        cfg.interval_s,
        patterns(&cfg.scan.include),
        patterns(&cfg.scan.exclude),
        duration(cfg.threshold.age_s).as_str(),
        destinations.join(", "),
        cfg.format.name(),
        cfg.timeout_s,
        duration(cfg.cooldown_s).as_str(),
        cfg.lang.name(),
        cfg.heartbeat_file.display(),
    );
}

pub(super) fn heartbeat_unusable(cfg: &Config, e: FileError) {
    log!(
        "warning: cannot use the heartbeat file {} ({e}): `lingerwatch health` will report unhealthy; point WATCHDOG_HEARTBEAT_FILE at a writable place (a tmpfs)",
        cfg.heartbeat_file.display()
    );
}

/// After the first scan, one line for the person who just started it (the next line may
/// be 30 s away): how many processes it saw, how many match (the stored and those only
/// counted, descendants included) and how many of the lines it alerts on are over the
/// threshold. No allocation: `log!` formats on the stack.
pub(super) fn first_scan(report: &ScanReport, threshold: &Threshold) {
    let matching = u32::try_from(report.all().len())
        .unwrap_or(u32::MAX)
        .saturating_add(report.unstored.count);
    let over = u32::try_from(report.tops().filter(|f| threshold.lingers(f)).count())
        .unwrap_or(u32::MAX)
        .saturating_add(threshold.unstored_lingering(&report.unstored));
    log!(
        "scanned {}: {matching} match, {over} over the threshold",
        crate::text::count(report.pids_seen, "process", "processes")
    );
}

/// Says what a tick had to give up, per destination.
pub(super) fn evictions(summary: &TickSummary, destinations: &[String]) {
    for (n, dest) in summary.evicted.iter().zip(destinations) {
        if *n > 0 {
            log!(
                "gave up {} owed to {dest}: the alert table is full of ended alerts it has not been told of (it stayed unreachable while more than {ALERT_CAPACITY} processes ended)",
                count(*n, "message", "messages")
            );
        }
    }
}

/// The signal thread: stops the process on SIGTERM, SIGINT, SIGQUIT and SIGHUP whatever
/// the other threads are doing; prints the table on SIGUSR1; ignores the rest, saying so.
pub(super) fn answer_signals(signals: &Signals, shared: &Shared, destinations: &[String]) {
    loop {
        let sig = signals.next();
        if sig.stops() {
            log!("stopping on {}", sig.name());
            std::process::exit(0);
        }
        match sig {
            Signal::Usr1 => dump_table(shared, destinations),
            other => log!(
                "ignoring {} (SIGTERM, SIGINT, SIGQUIT and SIGHUP stop lingerwatch; SIGUSR1 prints the alert table)",
                other.name()
            ),
        }
    }
}

/// The signal thread while the daemon starts (configuration files, `/proc`, the CA file:
/// any of them could be slow or stuck), before the alert table exists: stops the process
/// as [`answer_signals`] does; returns soon after `done` is set, so that the lock-down
/// happens with no other thread (it confines only the threads started after it).
pub(super) fn answer_while_starting(signals: &Signals, done: &AtomicBool) {
    while !done.load(Ordering::Acquire) {
        let Some(sig) = signals.next_within(HAND_OVER_MS) else {
            continue;
        };
        if sig.stops() {
            log!("stopping on {} (while starting)", sig.name());
            std::process::exit(0);
        }
        log!(
            "ignoring {} while starting (SIGTERM, SIGINT, SIGQUIT and SIGHUP stop lingerwatch; SIGUSR1 prints the alert table once there is one)",
            sig.name()
        );
    }
}

/// How often [`answer_while_starting`] looks whether it is done: what it adds to start-up.
const HAND_OVER_MS: u32 = 20;

/// One line per alert: pid, start, age, state, and what each destination is owed.
fn dump_table(shared: &Shared, destinations: &[String]) {
    let table = shared.lock();
    let now = boot_clock_ms();
    log!(
        "alert table: {}, {} lingering",
        count(table.len(), "alert", "alerts"),
        table.active()
    );
    for view in table.alerts() {
        dump_line(&view, now, destinations);
    }
}

fn dump_line(view: &AlertView<'_>, now_ms: u64, destinations: &[String]) {
    let mut owed = String::new();
    for (o, dest) in view.owed.iter().zip(destinations) {
        let kinds: Vec<&str> = o.each().map(|(_, k)| k.as_str()).collect();
        let kinds = if kinds.is_empty() {
            "nothing".to_owned()
        } else {
            kinds.join("+")
        };
        owed.push_str(&format!("; {dest}: {kinds}"));
    }
    let fired = duration(now_ms.saturating_sub(view.fired_ms) / 1000);
    let state = match view.end {
        None => format!("lingering, fired {} ago", fired.as_str()),
        Some(End::Gone { at_ms }) => format!(
            "gone {} ago",
            duration(now_ms.saturating_sub(at_ms) / 1000).as_str()
        ),
        Some(End::Terminated { at_ms, signal }) => format!(
            "terminated ({}) {} ago",
            signal.name(),
            duration(now_ms.saturating_sub(at_ms) / 1000).as_str()
        ),
        Some(End::NoLongerLingers { at_ms }) => format!(
            "no longer lingering since {} ago",
            duration(now_ms.saturating_sub(at_ms) / 1000).as_str()
        ),
    };
    match view.subject {
        Subject::Process(f) => log!(
            "alert pid {} start {} age {} {state}; owed{owed}",
            f.pid,
            f.start_ticks,
            duration(f.age_s()).as_str()
        ),
        Subject::Untracked(n) => log!("alert untracked={n} {state}; owed{owed}"),
    }
}
