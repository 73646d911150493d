//! CPU rates over the last interval, per process or per tree, from two scans of the same
//! (pid, start time).
//!
//! Per scan: [`RateTracker::begin_scan`] with the scan's time, then
//! [`RateTracker::observe`] each process (or tree) with its [`ProcessKey`] and its CPU
//! ticks so far, then [`RateTracker::end_scan`], which forgets every key not observed in
//! the scan. `observe` gives the rate over the interval since the previous scan that saw
//! the same key, `None` on first sight. The key is (pid, start ticks), so a pid reused
//! between two scans is a new key: its first observation is `None`, and the old process's
//! counters, never matched, are forgotten at the end of the scan. The unit of the ticks is
//! the tracker's (`new(100)` for [`crate::proc::found::Found::cpu_centis`], `new(clk_tck)` for
//! raw `utime + stime`); ticks that go back (a tree that lost a member whose time nobody
//! reaped) give `None` and restart from the new count. Capacity is [`RATES_MAX`] =
//! [`crate::proc::found::MAX_FOUND`], as many as a scan report holds, so a tracker fed from one
//! report is never full; when full anyway, the keys already tracked keep their place and a
//! new key is not tracked (its `observe` is `None`, counted in
//! [`RateTracker::untracked`]). Lookups are linear: 256 keys, no hashing, no sorting.

use heapless::Vec;

use super::{millicores, MilliCores};
use crate::proc::found::{ProcessKey, MAX_FOUND};

/// How many keys a [`RateTracker`] holds.
pub const RATES_MAX: usize = MAX_FOUND;

/// One key's counters at the last scan that saw it.
#[derive(Clone, Copy, Debug)]
struct Sample {
    key: ProcessKey,
    ticks: u64,
    at_ms: u64,
    /// Observed in the current scan.
    seen: bool,
    /// The rate this scan gave, handed out again if the key is observed twice.
    rate: Option<MilliCores>,
}

/// CPU rates over the last interval, per process or per tree. See the module doc.
#[derive(Clone, Debug)]
pub struct RateTracker {
    samples: Vec<Sample, RATES_MAX>,
    ticks_per_s: u64,
    now_ms: u64,
    untracked: u32,
}

impl RateTracker {
    /// A tracker for ticks of `ticks_per_s` per second (100 for centiseconds).
    pub const fn new(ticks_per_s: u64) -> Self {
        RateTracker {
            samples: Vec::new(),
            ticks_per_s,
            now_ms: 0,
            untracked: 0,
        }
    }

    /// Starts a scan taken at `now_ms` (boot clock).
    pub fn begin_scan(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
        self.untracked = 0;
        for s in self.samples.iter_mut() {
            s.seen = false;
            s.rate = None;
        }
    }

    /// Records `key` at `ticks` CPU ticks so far; the rate since the previous scan that
    /// saw it, or `None` on first sight (and when the tracker is full).
    pub fn observe(&mut self, key: ProcessKey, ticks: u64) -> Option<MilliCores> {
        let (now_ms, ticks_per_s) = (self.now_ms, self.ticks_per_s);
        let Some(s) = self.samples.iter_mut().find(|s| s.key == key) else {
            let fresh = Sample {
                key,
                ticks,
                at_ms: now_ms,
                seen: true,
                rate: None,
            };
            if self.samples.push(fresh).is_err() {
                self.untracked = self.untracked.saturating_add(1);
            }
            return None;
        };
        if s.seen {
            return s.rate;
        }
        s.seen = true;
        let elapsed_ms = now_ms.checked_sub(s.at_ms).filter(|&d| d > 0);
        let Some(elapsed_ms) = elapsed_ms else {
            // No time passed (or the caller's clock went back): keep the old baseline.
            return None;
        };
        s.rate = ticks
            .checked_sub(s.ticks)
            .and_then(|d| millicores(d, ticks_per_s, elapsed_ms));
        s.ticks = ticks;
        s.at_ms = now_ms;
        s.rate
    }

    /// The rate `key` got in this scan, if it was observed and had one.
    pub fn rate(&self, key: ProcessKey) -> Option<MilliCores> {
        self.samples
            .iter()
            .find(|s| s.key == key && s.seen)
            .and_then(|s| s.rate)
    }

    /// Ends the scan: forgets every key it did not observe.
    pub fn end_scan(&mut self) {
        self.samples.retain(|s| s.seen);
    }

    /// Keys tracked now.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// New keys of this scan that did not fit.
    pub fn untracked(&self) -> u32 {
        self.untracked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pid: u32, start_ticks: u64) -> ProcessKey {
        ProcessKey { pid, start_ticks }
    }

    #[test]
    fn rate_needs_two_scans_and_is_ticks_over_time() {
        let mut t = RateTracker::new(100);
        let k = key(4242, 9000);
        t.begin_scan(10_000);
        assert_eq!(t.observe(k, 500), None, "first sight");
        t.end_scan();
        // 2 s later, 300 more centiseconds: 1.5 cores.
        t.begin_scan(12_000);
        assert_eq!(t.observe(k, 800), Some(1500));
        assert_eq!(t.observe(k, 999), Some(1500), "twice in one scan: same answer");
        assert_eq!(t.rate(k), Some(1500));
        t.end_scan();
        t.begin_scan(42_000);
        assert_eq!(t.observe(k, 800), Some(0), "idle");
        t.end_scan();
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn reused_pid_never_gets_a_rate_from_the_old_counters() {
        let mut t = RateTracker::new(100);
        t.begin_scan(1_000);
        assert_eq!(t.observe(key(77, 100), 50_000), None);
        t.end_scan();
        // Pid 77 died; a new process got pid 77 and has used few ticks.
        t.begin_scan(2_000);
        assert_eq!(t.observe(key(77, 180), 10), None);
        t.end_scan();
        assert_eq!(t.len(), 1, "the old process is forgotten");
        t.begin_scan(3_000);
        assert_eq!(t.observe(key(77, 180), 60), Some(500));
        assert_eq!(t.observe(key(77, 100), 50_100), None, "the old one is new again");
        t.end_scan();
    }

    #[test]
    fn unseen_keys_are_forgotten_and_ticks_going_back_restart() {
        let mut t = RateTracker::new(100);
        t.begin_scan(1_000);
        t.observe(key(1, 1), 10);
        t.observe(key(2, 2), 10);
        t.end_scan();
        t.begin_scan(2_000);
        assert_eq!(t.observe(key(1, 1), 5), None, "went back");
        t.end_scan();
        assert_eq!(t.len(), 1);
        t.begin_scan(3_000);
        assert_eq!(t.observe(key(1, 1), 105), Some(1000), "from the new count");
        assert_eq!(t.observe(key(2, 2), 110), None, "forgotten, so first sight");
        t.end_scan();
        // The same time again keeps the baseline.
        t.begin_scan(3_000);
        assert_eq!(t.observe(key(1, 1), 200), None);
        t.end_scan();
        t.begin_scan(4_000);
        assert_eq!(t.observe(key(1, 1), 205), Some(1000));
    }

    #[test]
    fn a_full_tracker_keeps_its_keys_and_counts_the_newcomers() {
        let mut t = RateTracker::new(100);
        t.begin_scan(0);
        for pid in 0..=RATES_MAX as u32 + 4 {
            t.observe(key(pid, 1), 0);
        }
        assert_eq!((t.len(), t.untracked()), (RATES_MAX, 5));
        t.end_scan();
        t.begin_scan(1_000);
        assert_eq!(t.observe(key(0, 1), 100), Some(1000));
        assert_eq!(t.observe(key(RATES_MAX as u32, 1), 100), None);
        assert_eq!(t.untracked(), 1);
    }
}
