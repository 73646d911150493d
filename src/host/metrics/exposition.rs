//! What the daemon leaves in the metrics textfile after each tick: the scan's counts, the
//! table's decisions and the couriers' deliveries since start.

use std::path::Path;

use crate::alert::policy::Threshold;
use crate::alert::{AlertTable, PerKind, TickSummary};
use crate::host::heartbeat::FileError;
use crate::host::metrics::textfile::Textfile;
use crate::host::metrics::Snapshot;
use crate::log;
use crate::proc::found::ScanReport;

pub(crate) struct Exposition {
    textfile: Textfile,
    /// FIRING, REMINDER, RESOLVED since start.
    alerts: PerKind<u64>,
    proc_read_errors: u64,
    /// Why the last write failed, so it is logged once.
    failing: Option<FileError>,
}

impl Exposition {
    /// Start-up: the textfile's directory opened.
    pub(crate) fn open(path: &Path) -> Result<Self, u8> {
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
        }
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
