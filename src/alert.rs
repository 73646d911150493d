//! The alert state machine: which processes to tell people about, and when.
//!
//! Pure and driven by explicit time (the boot clock, in milliseconds): it takes the scan's
//! observations and `now`, and hands each decision to the caller's sink instead of
//! sending anything (smoltcp's neighbour cache, with its `silent_until`, is the model).
//! Keyed by (pid, start_ticks), so a reused pid is a new process. Fixed capacity; no
//! allocation; never panics.
//!
//! - FIRING the first time a process is active (over the threshold, and an orphan when
//!   orphans-only is set);
//! - REMINDER while it stays active, once the cooldown has passed since the last message
//!   about it (every tick when `refresh_each_tick`, for Alertmanager);
//! - RESOLVED once, when a process that was alerted is no longer active;
//! - nothing for a process that never crossed the threshold.
//!
//! When more processes are active than the table holds, the ones that do not fit are
//! counted and reported as one aggregated alert with the same cycle.

use heapless::Vec;

use crate::scan::{Found, ScanReport};

/// Processes tracked at once.
pub const ALERT_CAPACITY: usize = 256;

/// One process: a pid with its start time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub pid: u32,
    pub start_ticks: u64,
}

impl Key {
    pub fn of(found: &Found) -> Self {
        Key {
            pid: found.pid,
            start_ticks: found.start_ticks,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Firing,
    Reminder,
    Resolved,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Firing => "firing",
            Kind::Reminder => "reminder",
            Kind::Resolved => "resolved",
        }
    }
}

/// A decision about one process or about the untracked rest.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    Process {
        kind: Kind,
        /// The latest observation (for RESOLVED, the last one before it went away).
        found: &'a Found,
        /// When it first fired, boot clock ms.
        fired_ms: u64,
    },
    /// Active processes beyond the table's capacity (and matches beyond the scan's).
    Untracked {
        kind: Kind,
        count: u32,
        fired_ms: u64,
    },
}

impl Event<'_> {
    pub fn kind(&self) -> Kind {
        match self {
            Event::Process { kind, .. } | Event::Untracked { kind, .. } => *kind,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Least time between two messages about one process.
    pub cooldown_ms: u64,
    /// Re-send every active process on every tick (Alertmanager forgets an alert that is
    /// not re-sent before its `endsAt`).
    pub refresh_each_tick: bool,
}

#[derive(Clone, Debug)]
struct Entry {
    found: Found,
    fired_ms: u64,
    last_sent_ms: u64,
}

#[derive(Clone, Copy, Debug)]
struct Aggregate {
    fired_ms: u64,
    last_sent_ms: u64,
    count: u32,
}

/// A repeat is due once the cooldown has passed since the last message (exactly at it, not
/// a millisecond before), or at once when refreshing every tick.
fn is_due(policy: Policy, last_sent_ms: u64, now_ms: u64) -> bool {
    policy.refresh_each_tick || now_ms.saturating_sub(last_sent_ms) >= policy.cooldown_ms
}

/// The table of alerted processes.
pub struct AlertTable {
    policy: Policy,
    entries: Vec<Entry, ALERT_CAPACITY>,
    untracked: Option<Aggregate>,
}

impl AlertTable {
    pub fn new(policy: Policy) -> Self {
        AlertTable {
            policy,
            entries: Vec::new(),
            untracked: None,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Feeds one scan at `now_ms`; `sink` receives every decision, RESOLVED before FIRING
    /// (so a reused pid resolves the old process before the new one fires).
    pub fn tick(&mut self, now_ms: u64, report: &ScanReport, mut sink: impl FnMut(Event<'_>)) {
        let active = |f: &&Found| f.over_threshold;

        // Gone, or no longer qualifying: RESOLVED once, and the slot is freed. `retain`
        // keeps the rest in firing order, so resolutions come out in that order too.
        self.entries.retain(|entry| {
            let key = Key::of(&entry.found);
            let still = report
                .found
                .iter()
                .filter(active)
                .any(|f| Key::of(f) == key);
            if !still {
                sink(Event::Process {
                    kind: Kind::Resolved,
                    found: &entry.found,
                    fired_ms: entry.fired_ms,
                });
            }
            still
        });

        let mut untracked: u32 = report.not_tracked;
        for f in report.found.iter().filter(active) {
            let key = Key::of(f);
            if let Some(entry) = self.entries.iter_mut().find(|e| Key::of(&e.found) == key) {
                entry.found.clone_from(f);
                if is_due(self.policy, entry.last_sent_ms, now_ms) {
                    entry.last_sent_ms = now_ms;
                    sink(Event::Process {
                        kind: Kind::Reminder,
                        found: &entry.found,
                        fired_ms: entry.fired_ms,
                    });
                }
                continue;
            }
            let entry = Entry {
                found: f.clone(),
                fired_ms: now_ms,
                last_sent_ms: now_ms,
            };
            match self.entries.push(entry) {
                Ok(()) => {
                    if let Some(e) = self.entries.last() {
                        sink(Event::Process {
                            kind: Kind::Firing,
                            found: &e.found,
                            fired_ms: now_ms,
                        });
                    }
                }
                Err(_) => untracked = untracked.saturating_add(1),
            }
        }

        match (self.untracked, untracked) {
            (None, 0) => {}
            (None, count) => {
                self.untracked = Some(Aggregate {
                    fired_ms: now_ms,
                    last_sent_ms: now_ms,
                    count,
                });
                sink(Event::Untracked {
                    kind: Kind::Firing,
                    count,
                    fired_ms: now_ms,
                });
            }
            (Some(agg), 0) => {
                self.untracked = None;
                sink(Event::Untracked {
                    kind: Kind::Resolved,
                    count: agg.count,
                    fired_ms: agg.fired_ms,
                });
            }
            (Some(agg), count) => {
                let due = is_due(self.policy, agg.last_sent_ms, now_ms);
                self.untracked = Some(Aggregate {
                    fired_ms: agg.fired_ms,
                    last_sent_ms: if due { now_ms } else { agg.last_sent_ms },
                    count,
                });
                if due {
                    sink(Event::Untracked {
                        kind: Kind::Reminder,
                        count,
                        fired_ms: agg.fired_ms,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)] // test arithmetic on small constants
mod tests {
    use super::*;

    fn found(pid: u32, start_ticks: u64, over: bool) -> Found {
        Found {
            ppid: 1,
            orphan: true,
            over_threshold: over,
            ..Found::blank(pid, start_ticks)
        }
    }

    fn report(procs: &[(u32, u64, bool)]) -> ScanReport {
        let mut r = ScanReport::default();
        for &(pid, start, over) in procs {
            // Past the scan's capacity, processes are counted, as the scanner does.
            r.push(found(pid, start, over));
        }
        r
    }

    /// One tick; the events as (kind, pid or u32::MAX for the aggregate, start or count).
    fn tick(
        t: &mut AlertTable,
        now_s: u64,
        procs: &[(u32, u64, bool)],
    ) -> std::vec::Vec<(Kind, u32, u64)> {
        let mut out = std::vec::Vec::new();
        t.tick(now_s * 1000, &report(procs), |e| {
            out.push(match e {
                Event::Process { kind, found, .. } => (kind, found.pid, found.start_ticks),
                Event::Untracked { kind, count, .. } => (kind, u32::MAX, u64::from(count)),
            })
        });
        out
    }

    const POLICY: Policy = Policy {
        cooldown_ms: 1_800_000,
        refresh_each_tick: false,
    };
    use Kind::*;

    #[test]
    fn below_threshold_then_crossing_then_reminder_exactly_at_cooldown_then_resolved() {
        let mut t = AlertTable::new(POLICY);
        assert_eq!(
            tick(&mut t, 0, &[(7, 100, false)]),
            [],
            "first sight below threshold"
        );
        assert_eq!(tick(&mut t, 30, &[(7, 100, true)]), [(Firing, 7, 100)]);
        assert_eq!(tick(&mut t, 60, &[(7, 100, true)]), []);
        assert_eq!(
            tick(&mut t, 30 + 1799, &[(7, 100, true)]),
            [],
            "a second before the cooldown"
        );
        assert_eq!(
            tick(&mut t, 30 + 1800, &[(7, 100, true)]),
            [(Reminder, 7, 100)]
        );
        assert_eq!(tick(&mut t, 30 + 1801, &[(7, 100, true)]), []);
        assert_eq!(tick(&mut t, 30 + 3599, &[(7, 100, true)]), []);
        assert_eq!(
            tick(&mut t, 30 + 3600, &[(7, 100, true)]),
            [(Reminder, 7, 100)]
        );
        assert_eq!(tick(&mut t, 4000, &[]), [(Resolved, 7, 100)], "vanished");
        assert_eq!(tick(&mut t, 4030, &[]), [], "resolved once");
        assert!(t.is_empty());
    }

    #[test]
    fn never_crossing_never_alerts_and_no_longer_qualifying_resolves() {
        let mut t = AlertTable::new(POLICY);
        for s in 0..10 {
            assert_eq!(tick(&mut t, s * 30, &[(8, 1, false)]), []);
        }
        assert_eq!(tick(&mut t, 300, &[(8, 1, true)]), [(Firing, 8, 1)]);
        // Still there but no longer qualifies (e.g. orphans-only and it got a parent).
        assert_eq!(tick(&mut t, 330, &[(8, 1, false)]), [(Resolved, 8, 1)]);
    }

    #[test]
    fn reused_pid_with_new_starttime_resolves_the_old_and_fires_the_new() {
        let mut t = AlertTable::new(POLICY);
        assert_eq!(tick(&mut t, 0, &[(9, 100, true)]), [(Firing, 9, 100)]);
        assert_eq!(
            tick(&mut t, 30, &[(9, 5000, true)]),
            [(Resolved, 9, 100), (Firing, 9, 5000)]
        );
        assert_eq!(tick(&mut t, 60, &[(9, 5000, false)]), [(Resolved, 9, 5000)]);
        assert_eq!(
            tick(&mut t, 90, &[(9, 9000, false)]),
            [],
            "new one below threshold"
        );
    }

    #[test]
    fn more_active_than_the_table_holds_is_aggregated_and_tracked_ones_keep_their_cycle() {
        let mut t = AlertTable::new(POLICY);
        let n = ALERT_CAPACITY as u32 + 5;
        let all: std::vec::Vec<(u32, u64, bool)> = (1..=n).map(|p| (p, 1, true)).collect();
        let ev = tick(&mut t, 0, &all);
        assert_eq!(
            ev.iter()
                .filter(|e| e.0 == Firing && e.1 != u32::MAX)
                .count(),
            ALERT_CAPACITY
        );
        assert_eq!(
            ev.last(),
            Some(&(Firing, u32::MAX, 5)),
            "one aggregated message"
        );
        assert_eq!(t.len(), ALERT_CAPACITY);
        assert_eq!(tick(&mut t, 30, &all), []);
        // Tracked pid 1 exits: RESOLVED, and an untracked one takes its slot and fires.
        let rest: std::vec::Vec<(u32, u64, bool)> = all[1..].to_vec();
        let ev = tick(&mut t, 60, &rest);
        assert_eq!(ev[0], (Resolved, 1, 1));
        assert_eq!(ev[1].0, Firing);
        assert_eq!(ev.len(), 2, "aggregate waits for its cooldown: {ev:?}");
        let ev = tick(&mut t, 1800, &rest);
        // The 255 that fired at 0 are due; the one that fired at 60 is not yet.
        assert_eq!(
            ev.iter()
                .filter(|e| e.0 == Reminder && e.1 != u32::MAX)
                .count(),
            ALERT_CAPACITY - 1
        );
        assert!(!ev.contains(&(Reminder, 257, 1)));
        assert_eq!(ev.last(), Some(&(Reminder, u32::MAX, 4)));
        // Everything gone: every tracked one resolves, and the aggregate too.
        let ev = tick(&mut t, 1830, &[]);
        assert_eq!(
            ev.iter().filter(|e| e.0 == Resolved).count(),
            ALERT_CAPACITY + 1
        );
        assert_eq!(ev.last(), Some(&(Resolved, u32::MAX, 4)));
    }

    #[test]
    fn scan_overflow_counts_as_untracked() {
        let mut t = AlertTable::new(POLICY);
        let mut r = report(&[(1, 1, true)]);
        r.not_tracked = 3;
        let mut out = std::vec::Vec::new();
        t.tick(0, &r, |e| out.push(e.kind()));
        assert_eq!(out, [Firing, Firing]);
    }

    #[test]
    fn alertmanager_refresh_resends_every_tick() {
        let mut t = AlertTable::new(Policy {
            cooldown_ms: 1_800_000,
            refresh_each_tick: true,
        });
        assert_eq!(tick(&mut t, 0, &[(5, 1, true)]), [(Firing, 5, 1)]);
        assert_eq!(tick(&mut t, 30, &[(5, 1, true)]), [(Reminder, 5, 1)]);
        assert_eq!(tick(&mut t, 60, &[(5, 1, true)]), [(Reminder, 5, 1)]);
        assert_eq!(tick(&mut t, 90, &[]), [(Resolved, 5, 1)]);
    }
}
