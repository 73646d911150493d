//! The rate tracker and the severity counter across many scans: against a model on random
//! scans where pids are reused, and under a counting allocator (a scan allocates nothing,
//! nor do the issue-22 parsers and the tree walk it will call).
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

#[path = "common/alloc_count.rs"]
pub mod alloc_count;

use std::collections::HashMap;

use alloc_count::{count_on_this_thread, take_count, Counting};
use lingerwatch::proc::found::ProcessKey;
use lingerwatch::proc::parse::{children, cpu_times, pods, pressure};
use lingerwatch::proc::usage::rate::{RateTracker, RATES_MAX};
use lingerwatch::proc::usage::tree::TreeWalk;
use lingerwatch::proc::usage::{MilliCores, Severity, SeverityCounter, SeverityRule, Transition};
use proptest::prelude::*;

#[global_allocator]
static GLOBAL: Counting = Counting;

fn key(pid: u32, start_ticks: u64) -> ProcessKey {
    ProcessKey { pid, start_ticks }
}

/// The naive rate: Δticks over Δtime, in thousandths of a core.
fn naive_rate(before: (u64, u64), after: (u64, u64), ticks_per_s: u64) -> Option<MilliCores> {
    let (ticks0, ms0) = before;
    let (ticks1, ms1) = after;
    if ms1 <= ms0 || ticks1 < ticks0 || ticks_per_s == 0 {
        return None;
    }
    let rate =
        u128::from(ticks1 - ticks0) * 1_000_000 / (u128::from(ticks_per_s) * u128::from(ms1 - ms0));
    Some(rate.min(u128::from(u32::MAX)) as u32)
}

#[test]
fn a_pid_reused_between_two_scans_never_yields_a_rate_from_the_old_counters() {
    let mut t = RateTracker::new(100);
    // Scan 1: pid 500 has burned 10 000 s of CPU.
    t.begin_scan(60_000);
    assert_eq!(t.observe(key(500, 1_000), 1_000_000), None);
    t.end_scan();
    // Scan 2: it is gone and pid 500 now names a young process with 1 s of CPU.
    t.begin_scan(90_000);
    assert_eq!(
        t.observe(key(500, 8_000), 100),
        None,
        "first sight of the new one"
    );
    t.end_scan();
    // Scan 3: the new one's rate comes from its own counters (1 s over 30 s).
    t.begin_scan(120_000);
    assert_eq!(t.observe(key(500, 8_000), 200), Some(33));
    t.end_scan();
    assert_eq!(t.len(), 1);
}

#[test]
fn escalation_then_fall_back_from_tree_rates() {
    // Tree totals keyed by the top: 0.9 cores for three scans, then idle.
    let rule = SeverityRule::DEFAULT;
    let mut rates = RateTracker::new(100);
    let mut severity = SeverityCounter::default();
    let top = key(4242, 77);
    let mut ticks = 0;
    let mut transitions = Vec::new();
    for scan in 0..6u64 {
        rates.begin_scan(scan * 10_000);
        let rate = rates.observe(top, ticks);
        rates.end_scan();
        transitions.push(severity.update(rate, &rule));
        ticks += if scan < 3 { 900 } else { 0 }; // 9 s of CPU per 10 s: 0.9 cores
    }
    assert_eq!(
        transitions,
        [
            None,
            None,
            None,
            Some(Transition::BecameCritical),
            Some(Transition::FellBack),
            None
        ]
    );
    assert_eq!(severity.severity(), Severity::Warning);
}

#[test]
fn scans_of_a_full_tracker_with_churning_pids_allocate_nothing() {
    let mut rates = Box::new(RateTracker::new(100));
    let mut severities = Box::new([SeverityCounter::default(); RATES_MAX]);
    let rule = SeverityRule::DEFAULT;
    let stat = b"cpu  86874 209413 24358 43065 667 0 443 274 0 0\ncpu0 1 2 3 4\n";
    let psi = b"some avg10=98.34 avg60=97.29 avg300=87.88 total=1097010944\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
    let kids = b"15584 15585 15586 15587 15588 15589 ";
    let pod_dir = b"ci_merge-gate-7f9c4-x2kqz_2f1e3c4d-5b6a-4789-9abc-def012345678";

    // The counter itself works.
    count_on_this_thread(true);
    drop(std::hint::black_box(Box::new(7u64)));
    count_on_this_thread(false);
    assert_eq!(take_count(), 1);

    let mut checksum = 0u64;
    count_on_this_thread(true);
    for scan in 0..300u64 {
        rates.begin_scan(scan * 1_000);
        for slot in 0..RATES_MAX as u32 + 8 {
            // A tenth of the pids are reused each scan (a new start time).
            let start = if slot % 10 == (scan % 10) as u32 {
                scan
            } else {
                0
            };
            let rate = rates.observe(key(slot, start), scan * u64::from(slot));
            if let Some(s) = severities.get_mut(slot as usize) {
                s.update(rate, &rule);
            }
            checksum += u64::from(rate.unwrap_or(0));
        }
        rates.end_scan();
        let times = cpu_times::cpu_times(stat).unwrap();
        checksum += u64::from(cpu_times::share_permille(7, Default::default(), times).unwrap());
        checksum += u64::from(pressure::some_avg60(psi).unwrap());
        checksum += children::children(kids).map(u64::from).sum::<u64>();
        checksum += pods::parse(pod_dir).map_or(0, |p| p.name.len() as u64);
        let mut walk = TreeWalk::new(1);
        while let Some(v) = walk.next_visit() {
            for c in children::children(kids) {
                walk.push_child(v, c);
            }
        }
        checksum += walk.processes() as u64;
    }
    count_on_this_thread(false);
    assert_eq!(take_count(), 0, "heap allocations during 300 scans");
    assert!(checksum > 0);
    // Full all along: the keys kept from the last scan hold their place until its end, so
    // newcomers beyond the capacity wait a scan.
    assert!(rates.len() <= RATES_MAX && rates.len() > RATES_MAX / 2);
    assert!(severities
        .iter()
        .any(|s| s.severity() == Severity::Critical));
}

/// One scan of the model test: (pid, reused, ticks used since the last scan).
type Scan = Vec<(u8, bool, u16)>;

fn scans() -> impl Strategy<Value = Vec<(u16, Scan)>> {
    let scan = prop::collection::vec((0u8..12, prop::bool::weighted(0.2), any::<u16>()), 0..10);
    prop::collection::vec((0u16..3000, scan), 1..20)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn tracker_equals_a_model_keyed_by_pid_and_start(scans in scans(), ticks_per_s in 1u64..1000) {
        let mut t = RateTracker::new(ticks_per_s);
        // The model: the last (ticks, ms) of each key seen in the previous scan.
        let mut model: HashMap<ProcessKey, (u64, u64)> = HashMap::new();
        let mut start_of: HashMap<u32, u64> = HashMap::new();
        let mut cpu: HashMap<ProcessKey, u64> = HashMap::new();
        let mut now = 0u64;
        for (step, (advance_ms, scan)) in scans.iter().enumerate() {
            now += u64::from(*advance_ms);
            t.begin_scan(now);
            let mut seen: HashMap<ProcessKey, (u64, u64)> = HashMap::new();
            let mut answers: HashMap<ProcessKey, Option<MilliCores>> = HashMap::new();
            for &(pid, reused, used) in scan {
                let pid = u32::from(pid);
                let start = start_of.entry(pid).or_insert(0);
                if reused { *start = step as u64 + 1; }
                let k = key(pid, *start);
                let ticks = cpu.entry(k).or_insert(0);
                *ticks += u64::from(used);
                let got = t.observe(k, *ticks);
                if let Some(first) = answers.get(&k) {
                    prop_assert_eq!(got, *first, "observed twice in one scan");
                    continue;
                }
                let want = match model.get(&k) {
                    Some(&before) if before.1 == now => None,
                    Some(&before) => naive_rate(before, (*ticks, now), ticks_per_s),
                    None => None,
                };
                prop_assert_eq!(got, want, "{:?} at {}", k, now);
                answers.insert(k, got);
                let keep = match model.get(&k) {
                    Some(&before) if before.1 == now => before,
                    _ => (*ticks, now),
                };
                seen.insert(k, keep);
            }
            t.end_scan();
            model = seen;
            prop_assert_eq!(t.len(), model.len());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Any children lists (duplicates, cycles, pids listed under two parents): the walk
    /// visits each pid reachable from the top once, at its shortest depth, unless a bound
    /// cut it, and says when one did.
    #[test]
    fn tree_walk_visits_what_a_naive_walk_reaches(
        lists in prop::collection::vec(prop::collection::vec(0u32..40, 0..6), 40),
        top in 0u32..40,
    ) {
        use lingerwatch::proc::usage::tree::{Cut, TreeWalk, TREE_DEPTH_MAX};
        use std::collections::{HashMap, VecDeque};
        // The naive walk: breadth-first with a HashMap of depths.
        let mut depth_of: HashMap<u32, u8> = HashMap::from([(top, 0)]);
        let mut queue = VecDeque::from([top]);
        let mut too_deep = false;
        while let Some(pid) = queue.pop_front() {
            let depth = depth_of[&pid];
            for &c in &lists[pid as usize] {
                if depth_of.contains_key(&c) { continue; }
                if depth + 1 > TREE_DEPTH_MAX { too_deep = true; continue; }
                depth_of.insert(c, depth + 1);
                queue.push_back(c);
            }
        }
        let mut w = TreeWalk::new(top);
        let mut got: HashMap<u32, u8> = HashMap::new();
        while let Some(v) = w.next_visit() {
            prop_assert!(got.insert(v.pid, v.depth).is_none(), "{} twice", v.pid);
            for &c in &lists[v.pid as usize] {
                w.push_child(v, c);
            }
        }
        prop_assert_eq!(got, depth_of);
        prop_assert_eq!(w.cut(), too_deep.then_some(Cut::Depth));
    }
}
