//! The metrics node_exporter's textfile collector reads: what the last tick saw and what
//! the daemon has done since start, in the Prometheus text format.
//!
//! Pure; never panics; writes through ufmt, no allocation. Names follow Prometheus's
//! rules (`lingerwatch_` prefix, `_total` counters, base units in the name), every family
//! has `# HELP` and `# TYPE`, no sample has a timestamp, and no label has unbounded values
//! (no pid, cmdline or user: those are the alerts' business).

#[cfg(not(target_os = "none"))]
pub(crate) mod exposition;
#[cfg(not(target_os = "none"))]
pub mod textfile;

use ufmt::{uWrite, uwrite};

use crate::alert::PerKind;

/// What one tick leaves for the textfile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Lingering processes now, orphans and not (tracked or not).
    pub lingering_orphans: u32,
    pub lingering_others: u32,
    /// Age of the oldest lingering process, seconds (0: none).
    pub oldest_lingering_s: u64,
    /// Matching processes at any age.
    pub matching: u32,
    /// Lingering processes beyond the alert table.
    pub untracked: u32,
    /// Wall clock of the last successful scan, seconds since the epoch (0: none yet).
    pub last_scan_s: u64,
    pub scan_duration_ms: u64,
    pub proc_read_errors_total: u64,
    /// FIRING, REMINDER, RESOLVED decided since start.
    pub alerts_total: PerKind<u64>,
    /// Messages sent, failed attempts, messages given up, all destinations.
    pub deliveries_sent: u64,
    pub deliveries_failed: u64,
    pub deliveries_dropped: u64,
    /// Messages owed to the destinations now.
    pub outbox_messages: u64,
    /// Processes sent SIGTERM and SIGKILL since start (`WATCHDOG_PROC_ACTION=terminate`).
    pub terminated_sigterm: u64,
    pub terminated_sigkill: u64,
}

fn family<W: uWrite + ?Sized>(w: &mut W, name: &str, kind: &str, help: &str) -> Result<(), W::Error> {
    uwrite!(w, "# HELP {} {}\n# TYPE {} {}\n", name, help, name, kind)
}

/// Milliseconds as seconds with three decimals ("0.012").
fn write_ms_as_s<W: uWrite + ?Sized>(w: &mut W, ms: u64) -> Result<(), W::Error> {
    uwrite!(w, "{}.", ms / 1000)?;
    crate::text::write_zero_padded(w, ms % 1000, 3)
}

/// Writes the whole exposition.
pub fn write<W: uWrite + ?Sized>(w: &mut W, s: &Snapshot) -> Result<(), W::Error> {
    family(w, "lingerwatch_lingering_processes", "gauge", "Matching processes over the age threshold now, orphans and not (sum them for all).")?;
    uwrite!(w, "lingerwatch_lingering_processes{{orphan=\"true\"}} {}\n", s.lingering_orphans)?;
    uwrite!(w, "lingerwatch_lingering_processes{{orphan=\"false\"}} {}\n", s.lingering_others)?;
    family(w, "lingerwatch_oldest_lingering_age_seconds", "gauge", "Age of the oldest lingering process (0 when none).")?;
    uwrite!(w, "lingerwatch_oldest_lingering_age_seconds {}\n", s.oldest_lingering_s)?;
    family(w, "lingerwatch_matching_processes", "gauge", "Processes matching the patterns, at any age.")?;
    uwrite!(w, "lingerwatch_matching_processes {}\n", s.matching)?;
    family(w, "lingerwatch_untracked_processes", "gauge", "Lingering processes beyond the alert table (one aggregated alert tells of them).")?;
    uwrite!(w, "lingerwatch_untracked_processes {}\n", s.untracked)?;
    family(w, "lingerwatch_last_scan_timestamp_seconds", "gauge", "When the last scan of /proc completed, seconds since the epoch.")?;
    uwrite!(w, "lingerwatch_last_scan_timestamp_seconds {}\n", s.last_scan_s)?;
    family(w, "lingerwatch_scan_duration_seconds", "gauge", "How long the last scan of /proc took.")?;
    w.write_str("lingerwatch_scan_duration_seconds ")?;
    write_ms_as_s(w, s.scan_duration_ms)?;
    w.write_str("\n")?;
    family(w, "lingerwatch_proc_read_errors_total", "counter", "Processes whose /proc files could not be read (refused or malformed), summed over scans.")?;
    uwrite!(w, "lingerwatch_proc_read_errors_total {}\n", s.proc_read_errors_total)?;
    family(w, "lingerwatch_alerts_total", "counter", "Alert decisions since start.")?;
    for (kind, n) in s.alerts_total.each() {
        uwrite!(w, "lingerwatch_alerts_total{{status=\"{}\"}} {}\n", kind.as_str(), n)?;
    }
    family(w, "lingerwatch_deliveries_total", "counter", "Messages sent, attempts that failed (and are retried), messages given up, all destinations.")?;
    uwrite!(w, "lingerwatch_deliveries_total{{result=\"sent\"}} {}\n", s.deliveries_sent)?;
    uwrite!(w, "lingerwatch_deliveries_total{{result=\"failed\"}} {}\n", s.deliveries_failed)?;
    uwrite!(w, "lingerwatch_deliveries_total{{result=\"dropped\"}} {}\n", s.deliveries_dropped)?;
    family(w, "lingerwatch_outbox_messages", "gauge", "Messages owed to the destinations now.")?;
    uwrite!(w, "lingerwatch_outbox_messages {}\n", s.outbox_messages)?;
    family(w, "lingerwatch_terminated_total", "counter", "Processes lingerwatch signalled since start, by signal (only with WATCHDOG_PROC_ACTION=terminate).")?;
    uwrite!(w, "lingerwatch_terminated_total{{signal=\"SIGTERM\"}} {}\n", s.terminated_sigterm)?;
    uwrite!(w, "lingerwatch_terminated_total{{signal=\"SIGKILL\"}} {}\n", s.terminated_sigkill)?;
    family(w, "lingerwatch_build_info", "gauge", "The running version.")?;
    uwrite!(w, "lingerwatch_build_info{{version=\"{}\"}} 1\n", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::FixedBuf;

    #[test]
    fn every_family_has_help_and_type_and_no_sample_a_timestamp() {
        let mut b = FixedBuf::<4096>::new();
        let s = Snapshot {
            lingering_orphans: 2,
            scan_duration_ms: 12,
            alerts_total: PerKind {
                firing: 3,
                reminder: 1,
                resolved: 2,
            },
            ..Snapshot::default()
        };
        write(&mut b, &s).unwrap();
        assert!(!b.overflowed());
        let text = b.as_str();
        assert!(text.contains("lingerwatch_lingering_processes{orphan=\"true\"} 2\n"));
        assert!(text.contains("lingerwatch_scan_duration_seconds 0.012\n"));
        assert!(text.contains("lingerwatch_alerts_total{status=\"resolved\"} 2\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap();
            assert!(text.contains(&format!("# TYPE {name} ")), "{line}");
            assert_eq!(line.split(' ').count(), 2, "one value, no timestamp: {line}");
        }
    }
}
