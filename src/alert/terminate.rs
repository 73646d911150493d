//! When a lingering orphan is due for SIGTERM, and when what is left of its tree is due
//! for SIGKILL (`WATCHDOG_PROC_ACTION=terminate`, issue 24).
//!
//! Pure and driven by explicit time (the boot clock, in milliseconds), like the alert
//! table: it takes the active alerts and `now`, and says which processes are due for
//! which signal. It sends nothing; [`crate::host::terminate`] signals, each process
//! through a pidfd checked against the start time decided here. Fixed capacity; no
//! allocation; never panics.
//!
//! The rules it applies (the I/O layer adds the ones that need to read the process:
//! a PID namespace's init, an exclude or `WATCHDOG_PROC_NEVER_TERMINATE` pattern):
//! never pid 1, never this process or its parent, never a process that is no orphan; a
//! candidate is due for SIGTERM once its alert has been FIRING for `after_ms`; the
//! members of a tree that got SIGTERM are due for SIGKILL `kill_after_ms` later (each
//! once: a process still there after SIGKILL is the kernel's business).

use heapless::Vec;

use crate::proc::found::ProcessKey;

/// Trees being terminated at once; more due wait for a later tick.
pub const IN_FLIGHT: usize = 16;
/// Processes of one tree remembered for its SIGKILL (the top included, deepest first).
pub const MEMBERS_MAX: usize = 64;

/// The two signals lingerwatch ever sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Signal {
    Term,
    Kill,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Term => "SIGTERM",
            Signal::Kill => "SIGKILL",
        }
    }
}

/// Why a process is never signalled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spared {
    Pid1,
    Itself,
    ItsParent,
    NotOrphan,
    /// The init of a PID namespace (its `NSpid` ends in 1).
    NamespaceInit,
    /// An exclude pattern matches it.
    Excluded,
    /// A `WATCHDOG_PROC_NEVER_TERMINATE` pattern matches it.
    NeverTerminate,
    /// Its files could not be read to check the above.
    Unreadable,
    /// The kernel refused its SIGTERM (`EPERM`: another user's process, no `CAP_KILL`).
    Refused,
}

impl Spared {
    pub fn describe(self) -> &'static str {
        match self {
            Spared::Pid1 => "it is pid 1",
            Spared::Itself => "it is lingerwatch itself",
            Spared::ItsParent => "it is lingerwatch's parent",
            Spared::NotOrphan => "it is no orphan",
            Spared::NamespaceInit => "it is the init of a PID namespace",
            Spared::Excluded => "an exclude pattern matches it",
            Spared::NeverTerminate => "a WATCHDOG_PROC_NEVER_TERMINATE pattern matches it",
            Spared::Unreadable => "its files could not be read",
            Spared::Refused => "the kernel refused to signal it",
        }
    }
}

/// The timing, and who lingerwatch is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// How long an alert is FIRING before SIGTERM.
    pub after_ms: u64,
    /// How long after SIGTERM what is left gets SIGKILL.
    pub kill_after_ms: u64,
    pub own_pid: u32,
    /// 0 when it has none in its namespace.
    pub own_ppid: u32,
}

impl Rules {
    /// Why `pid` is never signalled, by the rules that need no reading.
    pub fn spares(&self, pid: u32, orphan: bool) -> Option<Spared> {
        if pid <= 1 {
            Some(Spared::Pid1)
        } else if pid == self.own_pid {
            Some(Spared::Itself)
        } else if pid == self.own_ppid {
            Some(Spared::ItsParent)
        } else if !orphan {
            Some(Spared::NotOrphan)
        } else {
            None
        }
    }

    /// When an alert fired at `fired_ms` is due for SIGTERM.
    pub fn term_at_ms(&self, fired_ms: u64) -> u64 {
        fired_ms.saturating_add(self.after_ms)
    }
}

/// One active alert about a process, as the decision sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub key: ProcessKey,
    pub fired_ms: u64,
    pub orphan: bool,
    /// What the I/O layer found that spares it (its pattern, a namespace's init).
    pub spared: Option<Spared>,
}

/// A signal due now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    pub key: ProcessKey,
    pub signal: Signal,
}

/// A tree that got SIGTERM.
#[derive(Clone, Debug)]
struct Pending {
    key: ProcessKey,
    term_ms: u64,
    killed: bool,
    /// Deepest first, the top last; recorded at SIGTERM, so SIGKILL reaches the
    /// children the top left behind (they are reparented once it dies).
    members: Vec<ProcessKey, MEMBERS_MAX>,
}

/// What is due; see the module doc.
#[derive(Clone, Debug, Default)]
pub struct Reaper {
    pending: Vec<Pending, IN_FLIGHT>,
}

pub type DueList = Vec<Due, { 2 * IN_FLIGHT }>;

impl Reaper {
    /// Decides at `now_ms` from the active alerts: SIGKILL for trees whose grace after
    /// SIGTERM has passed, then SIGTERM for candidates due (while there is room).
    pub fn decide(&mut self, now_ms: u64, rules: &Rules, candidates: &[Candidate], due: &mut DueList) {
        due.clear();
        // A tree is forgotten once it had its SIGKILL (on an earlier tick: the caller
        // reads its members after this one) and its alert ended.
        self.pending
            .retain(|p| !p.killed || candidates.iter().any(|c| c.key == p.key));
        for p in self.pending.iter_mut().filter(|p| !p.killed) {
            if now_ms.saturating_sub(p.term_ms) >= rules.kill_after_ms {
                p.killed = true;
                let _ = due.push(Due { key: p.key, signal: Signal::Kill });
            }
        }
        for c in candidates {
            let known = self.pending.iter().any(|p| p.key == c.key);
            let spared = c.spared.or(rules.spares(c.key.pid, c.orphan));
            if known || spared.is_some() || now_ms < rules.term_at_ms(c.fired_ms) {
                continue;
            }
            let pending = Pending {
                key: c.key,
                term_ms: now_ms,
                killed: false,
                members: Vec::new(),
            };
            if self.pending.push(pending).is_ok() {
                let _ = due.push(Due { key: c.key, signal: Signal::Term });
            }
        }
    }

    /// Records the processes that got SIGTERM with `top` (deepest first, the top last).
    pub fn record_members(&mut self, top: ProcessKey, members: &[ProcessKey]) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.key == top) {
            p.members.clear();
            for &m in members.iter().take(MEMBERS_MAX) {
                let _ = p.members.push(m);
            }
        }
    }

    /// The processes recorded for `top`'s tree.
    pub fn members(&self, top: ProcessKey) -> &[ProcessKey] {
        self.pending
            .iter()
            .find(|p| p.key == top)
            .map_or(&[], |p| p.members.as_slice())
    }

    /// Trees between SIGTERM and SIGKILL, or waiting for their alert to end.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: Rules = Rules {
        after_ms: 3_600_000,
        kill_after_ms: 30_000,
        own_pid: 500,
        own_ppid: 499,
    };

    fn cand(pid: u32, fired_ms: u64, orphan: bool) -> Candidate {
        Candidate {
            key: ProcessKey { pid, start_ticks: 7 },
            fired_ms,
            orphan,
            spared: None,
        }
    }

    fn decide(r: &mut Reaper, now_ms: u64, c: &[Candidate]) -> std::vec::Vec<(u32, Signal)> {
        let mut due = DueList::new();
        r.decide(now_ms, &RULES, c, &mut due);
        due.iter().map(|d| (d.key.pid, d.signal)).collect()
    }

    #[test]
    fn sigterm_exactly_after_the_grace_then_sigkill_after_kill_after_once() {
        let mut r = Reaper::default();
        let c = [cand(42, 1_000, true)];
        assert!(decide(&mut r, 3_600_999, &c).is_empty());
        assert_eq!(decide(&mut r, 3_601_000, &c), [(42, Signal::Term)]);
        // Not again while it lives.
        assert!(decide(&mut r, 3_601_500, &c).is_empty());
        assert!(decide(&mut r, 3_630_999, &c).is_empty());
        assert_eq!(decide(&mut r, 3_631_000, &c), [(42, Signal::Kill)]);
        assert!(decide(&mut r, 3_700_000, &c).is_empty());
        // Its alert ended: forgotten.
        assert!(decide(&mut r, 3_700_001, &[]).is_empty());
        assert!(r.is_empty());
    }

    #[test]
    fn a_tree_whose_top_died_of_sigterm_still_gets_its_sigkill() {
        let mut r = Reaper::default();
        assert_eq!(decide(&mut r, 0, &[cand(42, 0, true)]).len(), 0);
        let rules_now = RULES.after_ms;
        assert_eq!(decide(&mut r, rules_now, &[cand(42, 0, true)]), [(42, Signal::Term)]);
        let key = ProcessKey { pid: 42, start_ticks: 7 };
        let child = ProcessKey { pid: 43, start_ticks: 8 };
        r.record_members(key, &[child, key]);
        // The top is gone (no candidate); the child may linger.
        assert!(decide(&mut r, rules_now + 1, &[]).is_empty());
        assert_eq!(decide(&mut r, rules_now + 30_000, &[]), [(42, Signal::Kill)]);
        assert_eq!(r.members(key), [child, key]);
        assert!(decide(&mut r, rules_now + 30_001, &[]).is_empty());
        assert!(r.is_empty());
    }

    #[test]
    fn never_pid_1_itself_its_parent_a_non_orphan_or_a_spared_one() {
        let mut r = Reaper::default();
        let mut spared = cand(77, 0, true);
        spared.spared = Some(Spared::NeverTerminate);
        let c = [
            cand(1, 0, true),
            cand(500, 0, true),
            cand(499, 0, true),
            cand(60, 0, false),
            spared,
            cand(0, 0, true),
        ];
        for now in [0, RULES.after_ms, u64::MAX] {
            assert!(decide(&mut r, now, &c).is_empty(), "at {now}");
        }
        assert_eq!(RULES.spares(499, true), Some(Spared::ItsParent));
        assert_eq!(RULES.spares(60, false), Some(Spared::NotOrphan));
    }

    #[test]
    fn a_reused_pid_is_a_new_process_with_its_own_grace() {
        let mut r = Reaper::default();
        let old = cand(42, 0, true);
        assert_eq!(decide(&mut r, RULES.after_ms, &[old]), [(42, Signal::Term)]);
        let mut new = cand(42, RULES.after_ms + 10, true);
        new.key.start_ticks = 9_999;
        let due = decide(&mut r, RULES.after_ms + 20, &[new]);
        assert!(due.is_empty(), "{due:?}");
        let mut due = DueList::new();
        r.decide(2 * RULES.after_ms + 10, &RULES, &[new], &mut due);
        // The old one's SIGKILL is due (the I/O layer finds its start time gone), and
        // the new one's own SIGTERM, by its own key.
        let keys: std::vec::Vec<(ProcessKey, Signal)> = due.iter().map(|d| (d.key, d.signal)).collect();
        assert_eq!(keys, [(old.key, Signal::Kill), (new.key, Signal::Term)]);
    }

    #[test]
    fn more_due_than_in_flight_wait_for_room() {
        let mut r = Reaper::default();
        let c: std::vec::Vec<Candidate> = (2..40).map(|pid| cand(pid * 10, 0, true)).collect();
        let now = RULES.after_ms;
        assert_eq!(decide(&mut r, now, &c).len(), IN_FLIGHT);
        assert!(decide(&mut r, now + 1, &c).is_empty());
        assert_eq!(decide(&mut r, now + RULES.kill_after_ms, &c).len(), IN_FLIGHT);
        // Those killed but still alerted keep their room (no second SIGTERM).
        assert!(decide(&mut r, now + 2 * RULES.kill_after_ms, &c).is_empty());
        let rest: std::vec::Vec<Candidate> = c.iter().skip(IN_FLIGHT).copied().collect();
        assert_eq!(decide(&mut r, now + 3 * RULES.kill_after_ms, &rest).len(), IN_FLIGHT);
    }

    #[test]
    fn times_near_the_ends_of_u64_never_panic() {
        let mut r = Reaper::default();
        let rules = Rules { after_ms: u64::MAX, kill_after_ms: u64::MAX, ..RULES };
        let mut due = DueList::new();
        r.decide(u64::MAX, &rules, &[cand(42, u64::MAX, true)], &mut due);
        r.decide(0, &rules, &[cand(42, u64::MAX, true)], &mut due);
        r.decide(u64::MAX, &rules, &[], &mut due);
    }
}
