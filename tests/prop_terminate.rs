//! Properties of the terminate decision (issue 24) on random histories: processes that
//! appear as lingering alerts and go, with random pids (pid 1, lingerwatch itself and its
//! parent among them), orphans or not, spared or not, and time that jumps. Whatever the
//! history, a signal goes only where and when the rules allow.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

use std::collections::HashMap;

use lingerwatch::alert::terminate::{Candidate, DueList, Reaper, Rules, Signal, Spared};
use lingerwatch::proc::found::ProcessKey;
use proptest::prelude::*;

const RULES: Rules = Rules {
    after_ms: 10_000,
    kill_after_ms: 5_000,
    own_pid: 500,
    own_ppid: 499,
};
/// Pids the histories draw from: the ones never to be signalled, and ordinary ones.
const PIDS: [u32; 8] = [1, 499, 500, 1000, 1001, 1002, 1003, 1004];

/// One process of a history: when its alert is active (first and last step), whether it
/// is an orphan, and whether the I/O layer found it spared.
#[derive(Clone, Debug)]
struct Process {
    key: ProcessKey,
    from: usize,
    until: usize,
    orphan: bool,
    spared: bool,
}

fn process() -> impl Strategy<Value = Process> {
    (
        0..PIDS.len(),
        0usize..40,
        0usize..40,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(p, a, b, orphan, spared)| Process {
            key: ProcessKey {
                pid: PIDS[p],
                start_ticks: 0,
            },
            from: a.min(b),
            until: a.max(b),
            orphan,
            spared,
        })
}

/// What the model remembers of each key: when its alert fired, when it got SIGTERM, and
/// whether it got SIGKILL.
#[derive(Default)]
struct Seen {
    fired_ms: Option<u64>,
    term_ms: Option<u64>,
    killed: bool,
}

fn candidates(
    procs: &[Process],
    step: usize,
    seen: &mut HashMap<ProcessKey, Seen>,
    now_ms: u64,
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    for p in procs.iter().filter(|p| (p.from..=p.until).contains(&step)) {
        // One alert per key: a key listed twice in a history is one process.
        if out.iter().any(|c| c.key == p.key) {
            continue;
        }
        let fired_ms = *seen
            .entry(p.key)
            .or_default()
            .fired_ms
            .get_or_insert(now_ms);
        out.push(Candidate {
            key: p.key,
            fired_ms,
            orphan: p.orphan,
            spared: p.spared.then_some(Spared::Excluded),
        });
    }
    out
}

fn check_due(
    due: &DueList,
    cands: &[Candidate],
    seen: &mut HashMap<ProcessKey, Seen>,
    now_ms: u64,
) {
    for d in due {
        let s = seen.entry(d.key).or_default();
        match d.signal {
            Signal::Term => {
                let c = cands.iter().find(|c| c.key == d.key);
                let c =
                    c.unwrap_or_else(|| panic!("SIGTERM to {:?}, which is no candidate", d.key));
                assert!(c.orphan, "SIGTERM to a non-orphan: {c:?}");
                assert!(c.spared.is_none(), "SIGTERM to a spared process: {c:?}");
                assert!(
                    ![0, 1, RULES.own_pid, RULES.own_ppid].contains(&d.key.pid),
                    "{c:?}"
                );
                assert!(
                    now_ms >= c.fired_ms.saturating_add(RULES.after_ms),
                    "SIGTERM before the grace: {c:?} at {now_ms}"
                );
                assert!(s.term_ms.is_none(), "a second SIGTERM to {:?}", d.key);
                s.term_ms = Some(now_ms);
            }
            Signal::Kill => {
                let term_ms = s
                    .term_ms
                    .unwrap_or_else(|| panic!("SIGKILL without SIGTERM: {:?}", d.key));
                assert!(
                    now_ms >= term_ms.saturating_add(RULES.kill_after_ms),
                    "SIGKILL too early: {:?}",
                    d.key
                );
                assert!(!s.killed, "a second SIGKILL to {:?}", d.key);
                s.killed = true;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn signals_go_only_where_and_when_the_rules_allow(
        procs in prop::collection::vec(process(), 0..24),
        steps in prop::collection::vec(0u64..8_000, 1..45),
        start_ms in prop_oneof![Just(0u64), any::<u64>()],
    ) {
        let mut reaper = Reaper::default();
        let mut seen: HashMap<ProcessKey, Seen> = HashMap::new();
        let mut due = DueList::new();
        // One key per process: a pid may come back (reused, with another start time), a
        // process that is gone never does.
        let procs: Vec<Process> = procs
            .into_iter()
            .enumerate()
            .map(|(i, p)| Process { key: ProcessKey { pid: p.key.pid, start_ticks: i as u64 + 1 }, ..p })
            .collect();
        let mut now_ms = start_ms;
        for (step, advance) in steps.iter().enumerate() {
            now_ms = now_ms.saturating_add(*advance);
            let cands = candidates(&procs, step, &mut seen, now_ms);
            reaper.decide(now_ms, &RULES, &cands, &mut due);
            check_due(&due, &cands, &mut seen, now_ms);
            for d in due.iter().filter(|d| d.signal == Signal::Term) {
                reaper.record_members(d.key, &[d.key]);
            }
        }
    }
}
