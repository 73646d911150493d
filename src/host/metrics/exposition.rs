//! What the daemon leaves in the metrics textfile after each tick: the scan's counts, the
//! table's decisions and the couriers' deliveries since start.

use std::path::Path;

use crate::alert::policy::Threshold;
use crate::alert::{AlertTable, PerKind, TickSummary};
use crate::host::heartbeat::FileError;
use crate::host::metrics::textfile::Textfile;
use crate::host::metrics::{Snapshot, TopTree, TOP_MAX};
use crate::log;
use crate::proc::found::{Found, ScanReport};
use crate::proc::usage::Severity;

pub(crate) struct Exposition {
    textfile: Textfile,
    /// FIRING, REMINDER, RESOLVED since start.
    alerts: PerKind<u64>,
    proc_read_errors: u64,
    /// Why the last write failed, so it is logged once.
    failing: Option<FileError>,
    /// How many lingering trees are shown one by one (at most [`TOP_MAX`]).
    top: usize,
}

impl Exposition {
    /// Start-up: the textfile's directory opened; the `top` lingering trees by CPU are
    /// shown one by one.
    pub(crate) fn open(path: &Path, top: usize) -> Result<Self, u8> {
        let textfile = Textfile::open(path).map_err(|e| {
            log!(
                "cannot write metrics to {} (WATCHDOG_TEXTFILE): {e}",
                path.display()
            );
            2
        })?;
        Ok(Exposition {
            textfile,
            alerts: PerKind::default(),
            proc_read_errors: 0,
            failing: None,
            top: top.min(TOP_MAX),
        })
    }

    /// Counts a tick (under the table's lock): what the file is to say.
    pub(crate) fn count(
        &mut self,
        report: &ScanReport,
        summary: &TickSummary,
        table: &AlertTable,
        scan_ms: u64,
    ) -> Snapshot {
        for (kind, n) in summary.decided().each() {
            let total = self.alerts.get_mut(kind);
            *total = total.saturating_add(u64::from(n));
        }
        let errors = report.errors.saturating_add(report.denied);
        self.proc_read_errors = self.proc_read_errors.saturating_add(u64::from(errors));
        self.snapshot(report, summary, table, scan_ms)
    }

    /// Rewrites the file; a failure is logged once, and its end too.
    pub(crate) fn write(&mut self, snapshot: &Snapshot) {
        match (self.textfile.write(snapshot), self.failing) {
            (Ok(()), Some(_)) => {
                log!("the metrics textfile is written again");
                self.failing = None;
            }
            (Err(e), None) => {
                log!("cannot write the metrics textfile: {e}; will retry every tick");
                self.failing = Some(e);
            }
            _ => {}
        }
    }

    fn snapshot(
        &self,
        report: &ScanReport,
        summary: &TickSummary,
        table: &AlertTable,
        scan_ms: u64,
    ) -> Snapshot {
        let threshold: Threshold = table.policy().threshold;
        let mut s = Snapshot {
            matching: u32::try_from(report.all().len())
                .unwrap_or(u32::MAX)
                .saturating_add(report.unstored.count),
            untracked: summary.untracked,
            last_scan_s: crate::proc::sys::wall_clock_s(),
            scan_duration_ms: scan_ms,
            proc_read_errors_total: self.proc_read_errors,
            alerts_total: self.alerts,
            ..Snapshot::default()
        };
        for f in report.tops().filter(|f| threshold.lingers(f)) {
            if f.orphan() {
                s.lingering_orphans = s.lingering_orphans.saturating_add(1);
            } else {
                s.lingering_others = s.lingering_others.saturating_add(1);
            }
            s.oldest_lingering_s = s.oldest_lingering_s.max(f.age_s());
            s.lingering_cpu_millicores = s
                .lingering_cpu_millicores
                .saturating_add(f.tree.cpu_millicores.unwrap_or(0));
            s.lingering_rss_bytes = s.lingering_rss_bytes.saturating_add(f.tree.rss_bytes);
            rank(&mut s.top, self.top, f);
        }
        s.lingering_critical = table
            .alerts()
            .filter(|a| a.end.is_none())
            .filter(|a| matches!(a.subject, crate::alert::Subject::Process(f) if f.severity == Severity::Critical))
            .count()
            .try_into()
            .unwrap_or(u32::MAX);
        s.host_share_permille = table.host().share_permille;
        // Those the scan could not store are all younger than those it did.
        let unstored = &report.unstored;
        let others = threshold
            .unstored_lingering(unstored)
            .saturating_sub(unstored.older_orphans);
        s.lingering_orphans = s.lingering_orphans.saturating_add(unstored.older_orphans);
        s.lingering_others = s.lingering_others.saturating_add(others);
        for dest in 0..crate::alert::MAX_DESTINATIONS {
            if let Some(o) = table.outbox(dest) {
                s.deliveries_sent = s.deliveries_sent.saturating_add(o.stats.sent);
                s.deliveries_failed = s.deliveries_failed.saturating_add(o.stats.failed);
                s.deliveries_dropped = s.deliveries_dropped.saturating_add(o.stats.dropped);
            }
        }
        s.outbox_messages = table.owed_total() as u64;
        s
    }
}

/// Puts `f` among the `n` lingering trees using most CPU (then most memory), most first;
/// the least drops off the end. No allocation: the list is fixed.
fn rank(top: &mut heapless::Vec<TopTree, TOP_MAX>, n: usize, f: &Found) {
    let key = |cpu: u32, rss: u64| (cpu, rss);
    let cpu = f.tree.cpu_millicores.unwrap_or(0);
    let at = top
        .iter()
        .position(|t| key(t.cpu_millicores, t.rss_bytes) < key(cpu, f.tree.rss_bytes))
        .unwrap_or(top.len());
    if at >= n {
        return;
    }
    if top.len() >= n {
        top.pop();
    }
    let mut container = heapless::String::new();
    if let Some(c) = &f.container {
        let _ = container.push_str(c.id_str());
    }
    let entry = TopTree {
        pid: f.pid,
        cpu_millicores: cpu,
        rss_bytes: f.tree.rss_bytes,
        container,
        pod: f.pod_names.clone(),
    };
    let _ = top.insert(at, entry);
}
