//! The metrics node_exporter's textfile collector reads: what the last tick saw and what
//! the daemon has done since start, in the Prometheus text format.
//!
//! Pure; never panics; writes through ufmt, no allocation. Names follow Prometheus's
//! rules (`lingerwatch_` prefix, `_total` counters, base units in the name), every family
//! has `# HELP` and `# TYPE`, no sample has a timestamp, and no label has unbounded values
//! (no cmdline or user: those are the alerts' business). The one place a pid is a label
//! is the top [`TOP_MAX`] at most lingering trees by CPU (issue 22): a bounded number of
//! series, each gone when its process is.

#[cfg(not(target_os = "none"))]
pub(crate) mod exposition;
#[cfg(not(target_os = "none"))]
pub mod textfile;

use ufmt::{uWrite, uwrite};

use crate::alert::PerKind;
use crate::proc::found::PodLabel;
use crate::proc::usage::MilliCores;

/// The most lingering trees the textfile shows one by one (`WATCHDOG_TEXTFILE_TOP`).
pub const TOP_MAX: usize = 20;

/// One lingering tree shown one by one: what it costs and where it runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopTree {
    pub pid: u32,
    /// Its tree's CPU over the last interval (0 until two scans).
    pub cpu_millicores: MilliCores,
    pub rss_bytes: u64,
    /// The container id (hex), empty when none.
    pub container: heapless::String<64>,
    pub pod: Option<PodLabel>,
}

/// What one tick leaves for the textfile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
    /// The lingering trees' CPU over the last interval and memory, summed (those the scan
    /// stored; issue 22).
    pub lingering_cpu_millicores: MilliCores,
    pub lingering_rss_bytes: u64,
    /// Tracked lingering trees that are critical now.
    pub lingering_critical: u32,
    /// The tracked lingering trees' share of all the host's CPU, per-mille (`None`: not
    /// known yet).
    pub host_share_permille: Option<u16>,
    /// The lingering trees using most CPU, most first.
    pub top: heapless::Vec<TopTree, TOP_MAX>,
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
    write_usage(w, s)?;
    family(w, "lingerwatch_terminated_total", "counter", "Processes lingerwatch signalled since start, by signal (only with WATCHDOG_PROC_ACTION=terminate).")?;
    uwrite!(w, "lingerwatch_terminated_total{{signal=\"SIGTERM\"}} {}\n", s.terminated_sigterm)?;
    uwrite!(w, "lingerwatch_terminated_total{{signal=\"SIGKILL\"}} {}\n", s.terminated_sigkill)?;
    family(w, "lingerwatch_build_info", "gauge", "The running version.")?;
    uwrite!(w, "lingerwatch_build_info{{version=\"{}\"}} 1\n", env!("CARGO_PKG_VERSION"))
}

/// The families of issue 22: what the lingering trees cost, and the top few one by one.
fn write_usage<W: uWrite + ?Sized>(w: &mut W, s: &Snapshot) -> Result<(), W::Error> {
    use crate::proc::usage::write_cores;
    family(w, "lingerwatch_lingering_cpu_cores", "gauge", "CPU the lingering process trees used over the last scan interval, in cores.")?;
    w.write_str("lingerwatch_lingering_cpu_cores ")?;
    write_cores(w, s.lingering_cpu_millicores)?;
    w.write_str("\n")?;
    family(w, "lingerwatch_lingering_rss_bytes", "gauge", "Resident memory of the lingering process trees.")?;
    uwrite!(w, "lingerwatch_lingering_rss_bytes {}\n", s.lingering_rss_bytes)?;
    family(w, "lingerwatch_lingering_critical", "gauge", "Lingering process trees that are critical (WATCHDOG_PROC_CRITICAL_CORES for WATCHDOG_PROC_CRITICAL_SCANS scans).")?;
    uwrite!(w, "lingerwatch_lingering_critical {}\n", s.lingering_critical)?;
    if let Some(share) = s.host_share_permille {
        family(w, "lingerwatch_lingering_host_cpu_ratio", "gauge", "Share of all the host's CPU the lingering process trees used over the last scan interval (0 to 1).")?;
        w.write_str("lingerwatch_lingering_host_cpu_ratio ")?;
        write_cores(w, u32::from(share))?;
        w.write_str("\n")?;
    }
    if s.top.is_empty() {
        return Ok(());
    }
    family(w, "lingerwatch_lingering_tree_cpu_cores", "gauge", "CPU of the lingering process trees that use most, one series each (WATCHDOG_TEXTFILE_TOP), in cores.")?;
    for t in &s.top {
        write_top_series(w, "lingerwatch_lingering_tree_cpu_cores", t)?;
        write_cores(w, t.cpu_millicores)?;
        w.write_str("\n")?;
    }
    family(w, "lingerwatch_lingering_tree_rss_bytes", "gauge", "Resident memory of the same trees.")?;
    for t in &s.top {
        write_top_series(w, "lingerwatch_lingering_tree_rss_bytes", t)?;
        uwrite!(w, "{}\n", t.rss_bytes)?;
    }
    Ok(())
}

/// A top tree's series name and labels, then a space. Every label value is a number, hex
/// or a DNS name: nothing to escape.
fn write_top_series<W: uWrite + ?Sized>(w: &mut W, name: &str, t: &TopTree) -> Result<(), W::Error> {
    let (ns, pod) = t.pod.as_ref().map_or(("", ""), |p| (p.namespace(), p.name()));
    uwrite!(
        w,
        "{}{{pid=\"{}\",container=\"{}\",pod_namespace=\"{}\",pod_name=\"{}\"}} ",
        name,
        t.pid,
        t.container.as_str(),
        ns,
        pod
    )
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
            lingering_cpu_millicores: 1250,
            host_share_permille: Some(625),
            top: heapless::Vec::from_slice(&[TopTree {
                pid: 4242,
                cpu_millicores: 1250,
                rss_bytes: 7,
                ..TopTree::default()
            }])
            .unwrap(),
            ..Snapshot::default()
        };
        write(&mut b, &s).unwrap();
        assert!(b.as_str().contains("lingerwatch_lingering_cpu_cores 1.25\n"));
        assert!(b.as_str().contains("lingerwatch_lingering_host_cpu_ratio 0.625\n"));
        assert!(b.as_str().contains(
            "lingerwatch_lingering_tree_cpu_cores{pid=\"4242\",container=\"\",pod_namespace=\"\",pod_name=\"\"} 1.25\n"
        ));
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
