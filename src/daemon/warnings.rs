//! What a scan tells the operator besides its matches: that `/proc` is not the host's,
//! that it is blind to some processes, that pids were skipped. Shared by `scan` and
//! `run`; each warning is one log line.

use std::path::Path;

use crate::log;
use crate::proc::found::{Blindness, Namespace, ScanReport, MAX_FOUND};
use crate::proc::scan::Scanner;
use crate::text::count;

/// Opens the scanner, or says why not (exit 2).
pub(crate) fn open_scanner(
    root: &Path,
    cfg: crate::proc::found::ScanConfig,
) -> Result<Scanner, u8> {
    Scanner::new(root, cfg).map_err(|e| {
        log!("cannot open {} (WATCHDOG_PROC_ROOT): {e}", root.display());
        2
    })
}

/// Warns when this `/proc` cannot be the host's, and says what to fix.
pub fn namespace(ns: Namespace, pids_seen: u32) {
    let why = match ns {
        Namespace::Host => return,
        Namespace::OwnAsInit => "lingerwatch is pid 1 here, so it sees only its own PID namespace",
        Namespace::Restricted => {
            "no kernel threads are visible, so this is not the host PID namespace (or /proc is mounted with hidepid/subset=pid)"
        }
    };
    log!(
        "warning: {why}; only {} visible. Run it with `pid: host` (compose) or `hostPID: true` (Kubernetes), and mount /proc without hidepid.",
        count(pids_seen, "process is", "processes are")
    );
}

/// Says that a scan cannot see every process, and what to do.
pub(crate) fn blindness(b: Blindness) {
    match b {
        Blindness::HidePid => log!(
            "error: /proc is mounted with hidepid, so other users' processes are hidden from lingerwatch: it is blind to them. Mount /proc without hidepid (or with gid= a group lingerwatch is in)."
        ),
        Blindness::Denied(n) => log!(
            "error: permission denied reading {} (hidepid, or another user's): lingerwatch is blind to them. Run it as a user that may read them.",
            count(n, "process", "processes")
        ),
    }
}

/// Reports the counters of a scan that users should know about.
pub fn counts(report: &ScanReport) {
    if report.unstored.count > 0 {
        log!(
            "warning: {} than a scan holds ({MAX_FOUND}, the oldest are kept); {} of them older than the threshold",
            count(report.unstored.count, "more matching process", "more matching processes"),
            report.unstored.older
        );
    }
    if report.errors > 0 {
        log!(
            "warning: skipped {} with unreadable or malformed /proc files",
            count(report.errors, "process", "processes")
        );
    }
}
