//! The daemon's memory of who launched each match: the reason [`OrphanWhy::LAUNCHER`],
//! which no single scan can see.
//!
//! Pure; never panics; fixed capacity, built once (a tick allocates nothing); time comes
//! from the caller. Fed every scan: each match in the report, young ones too, is
//! remembered with the parent it was first seen with (pid and start time, and its comm).
//! When a later scan shows it with another parent, that launcher has died: the kernel
//! changes a process's parent only when the parent exits (it is then adopted by a
//! subreaper or an init), and a pid reused by a later process has another start time.
//!
//! Capacity [`LAUNCHERS_MAX`]. A process is forgotten once a complete scan (every match
//! stored) no longer shows it. When the report could not hold every match, a process it
//! did not show may still live, so its memory is kept, but it is the first to make room
//! for a newcomer; when every entry belongs to a process of this scan, newcomers are not
//! remembered. Either way the loss is a launcher not seen to die, never a false one.

use crate::proc::found::{Found, Launcher, OrphanWhy, ProcessKey, ScanReport, ShortComm, MAX_FOUND};
use crate::text::{heap_table, HeapTable};

/// How many processes' launchers are remembered: four reports' worth.
pub const LAUNCHERS_MAX: usize = 4 * MAX_FOUND;

#[derive(Clone, Debug)]
struct Entry {
    child: ProcessKey,
    parent: ProcessKey,
    comm: ShortComm,
    /// When the parent was first seen gone (boot clock, ms).
    gone_at_ms: Option<u64>,
    /// The last scan (a count) that showed the child.
    seen: u64,
}

/// Launchers by child, sorted by the child's key.
///
/// At most [`LAUNCHERS_MAX`] (the type says so), on the heap from start-up, so a tick
/// allocates nothing; as with the scan report, the table costs memory only as it is used.
#[derive(Debug)]
pub struct Launchers {
    entries: HeapTable<Entry, LAUNCHERS_MAX>,
    scans: u64,
}

impl Default for Launchers {
    fn default() -> Self {
        Launchers {
            entries: heap_table(),
            scans: 0,
        }
    }
}

impl Launchers {
    /// Marks in `report` the matches whose launcher has died (reason, pid, comm, how long
    /// ago), and remembers the parents of the matches it shows for the first time.
    pub fn observe(&mut self, now_ms: u64, report: &mut ScanReport) {
        self.scans = self.scans.wrapping_add(1);
        let scan = self.scans;
        for f in report.all_mut().iter_mut() {
            if let Ok(i) = self.find(f.key()) {
                if let Some(e) = self.entries.get_mut(i) {
                    e.seen = scan;
                    mark_if_gone(e, f, now_ms);
                }
            }
        }
        if report.unstored.count == 0 {
            self.entries.retain(|e| e.seen == scan);
        }
        for f in report.all() {
            if self.find(f.key()).is_err() {
                self.remember(f, scan);
            }
        }
    }

    /// How many processes are remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find(&self, key: ProcessKey) -> Result<usize, usize> {
        self.entries.binary_search_by_key(&key, |e| e.child)
    }

    /// Remembers `f`'s parent, if it is known; when full, in the place of a process this
    /// scan did not show, or not at all.
    fn remember(&mut self, f: &Found, scan: u64) {
        if f.parent_start_ticks == 0 || f.ppid == 0 {
            return;
        }
        if self.entries.is_full() {
            match self.entries.iter().position(|e| e.seen != scan) {
                Some(stale) => {
                    self.entries.remove(stale);
                }
                None => return,
            }
        }
        let mut comm = ShortComm::new();
        let _ = comm.extend_from_slice(f.parent.get(..16.min(f.parent.len())).unwrap_or(&[]));
        let entry = Entry {
            child: f.key(),
            parent: ProcessKey {
                pid: f.ppid,
                start_ticks: f.parent_start_ticks,
            },
            comm,
            gone_at_ms: None,
            seen: scan,
        };
        if let Err(at) = self.find(entry.child) {
            // Room was made above: the insert cannot fail.
            let _ = self.entries.insert(at, entry);
        }
    }
}

/// Whether `f`'s parent is still the one first seen; if not, notes since when it is gone
/// and marks `f`. A parent this scan could not read (start 0) with the same pid is not
/// taken for a new one.
fn mark_if_gone(e: &mut Entry, f: &mut Found, now_ms: u64) {
    let same_pid = f.ppid == e.parent.pid;
    let replaced = !same_pid
        || (f.parent_start_ticks != 0 && f.parent_start_ticks != e.parent.start_ticks);
    if !replaced {
        return;
    }
    let gone_at = *e.gone_at_ms.get_or_insert(now_ms);
    f.orphan_why = f.orphan_why.with(OrphanWhy::LAUNCHER);
    f.launcher = Some(Launcher {
        pid: e.parent.pid,
        comm: e.comm.clone(),
        gone_for_s: now_ms.saturating_sub(gone_at) / 1000,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child(pid: u32, ppid: u32, parent_start: u64, parent: &str) -> Found {
        let mut f = Found::blank(pid, 500);
        f.ppid = ppid;
        f.parent_start_ticks = parent_start;
        let _ = f.parent.extend_from_slice(parent.as_bytes());
        f
    }

    fn report(found: &[Found]) -> ScanReport {
        let mut r = ScanReport::default();
        for f in found {
            assert!(r.insert(f.clone(), false).is_none());
        }
        r
    }

    #[test]
    fn a_launcher_that_dies_is_named_with_how_long_ago() {
        let mut l = Launchers::default();
        let mut r = report(&[child(100, 50, 400, "bash")]);
        l.observe(1_000, &mut r);
        assert!(!r.all()[0].orphan(), "parent alive: {:?}", r.all()[0]);
        // Adopted by a subreaper: another parent.
        let mut r = report(&[child(100, 7, 10, "subreaper")]);
        l.observe(2_000, &mut r);
        let mut r = report(&[child(100, 7, 10, "subreaper")]);
        l.observe(182_000, &mut r);
        let f = &r.all()[0];
        assert_eq!(f.orphan_why, OrphanWhy::LAUNCHER);
        let launcher = f.launcher.as_ref().unwrap();
        assert_eq!((launcher.pid, &launcher.comm[..], launcher.gone_for_s), (50, &b"bash"[..], 180));
    }

    #[test]
    fn a_reused_parent_pid_is_a_dead_launcher_and_an_unread_parent_is_not() {
        let mut l = Launchers::default();
        l.observe(0, &mut report(&[child(100, 50, 400, "bash")]));
        let mut r = report(&[child(100, 50, 0, "")]);
        l.observe(1_000, &mut r);
        assert!(!r.all()[0].orphan(), "parent unreadable this scan: unknown");
        let mut r = report(&[child(100, 50, 450, "bash")]);
        l.observe(2_000, &mut r);
        assert!(r.all()[0].orphan_why.has(OrphanWhy::LAUNCHER));
    }

    #[test]
    fn first_seen_after_adoption_has_no_launcher_and_gone_processes_are_forgotten() {
        let mut l = Launchers::default();
        l.observe(0, &mut report(&[child(100, 1, 1, "tini")]));
        let mut r = report(&[child(100, 1, 1, "tini")]);
        l.observe(1_000, &mut r);
        assert!(!r.all()[0].orphan_why.has(OrphanWhy::LAUNCHER));
        assert_eq!(l.len(), 1);
        l.observe(2_000, &mut report(&[]));
        assert!(l.is_empty(), "a complete scan without it: forgotten");
    }

    #[test]
    fn full_memory_makes_room_from_a_process_this_scan_did_not_show() {
        let mut l = Launchers::default();
        // Incomplete scans (matches left unstored) keep what they do not show.
        for batch in 0..(LAUNCHERS_MAX / MAX_FOUND) as u32 {
            let found: Vec<Found> = (0..MAX_FOUND as u32)
                .map(|i| child(1000 + batch * 1000 + i, 50, 400, "bash"))
                .collect();
            let mut r = report(&found);
            r.unstored.count = 1;
            l.observe(0, &mut r);
        }
        assert_eq!(l.len(), LAUNCHERS_MAX);
        // A newcomer takes the place of a process this scan did not show.
        let mut r = report(&[child(9, 50, 400, "bash")]);
        r.unstored.count = 1;
        l.observe(1_000, &mut r);
        assert_eq!(l.len(), LAUNCHERS_MAX);
        let mut r = report(&[child(9, 60, 401, "sh")]);
        r.unstored.count = 1;
        l.observe(2_000, &mut r);
        assert!(r.all()[0].orphan_why.has(OrphanWhy::LAUNCHER));
    }
}
