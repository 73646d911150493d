//! The alert state machine on random sequences of observations and times: never two
//! FIRING for one (pid, starttime), never RESOLVED without an earlier FIRING, never two
//! messages about one process closer than the cooldown (Alertmanager refreshes aside), and
//! every active process is alerted after each tick.
#![no_main]

use std::collections::HashMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use lingerwatch::alert::{AlertTable, Event, Kind, Policy};
use lingerwatch::scan::{Found, ScanReport};

#[derive(Arbitrary, Debug)]
struct Input {
    cooldown_s: u16,
    refresh: bool,
    ticks: Vec<(u16, u8, Vec<(u8, bool)>)>,
}

fuzz_target!(|input: Input| {
    let policy = Policy {
        cooldown_ms: u64::from(input.cooldown_s) * 1000,
        refresh_each_tick: input.refresh,
    };
    let mut table = AlertTable::new(policy);
    let mut now_ms = 0u64;
    let mut open: HashMap<(u32, u64), bool> = HashMap::new();
    let mut last: HashMap<(u32, u64), u64> = HashMap::new();
    let mut untracked_open = false;
    for (step_ms, not_tracked, present) in input.ticks.iter().take(200) {
        now_ms += u64::from(*step_ms);
        let mut report = ScanReport::default();
        report.not_tracked = u32::from(*not_tracked % 4);
        let mut pids = Vec::new();
        for (i, over) in present {
            let pid = u32::from(i % 8) + 2;
            if pids.contains(&pid) {
                continue;
            }
            pids.push(pid);
            let start = u64::from(i / 8);
            report.push(Found {
                over_threshold: *over,
                ..Found::blank(pid, start)
            });
        }
        let mut events = Vec::new();
        table.tick(now_ms, &report, |e| match e {
            Event::Process { kind, found, .. } => {
                events.push((kind, Some((found.pid, found.start_ticks))))
            }
            Event::Untracked { kind, .. } => events.push((kind, None)),
        });
        for (kind, key) in events {
            let Some(key) = key else {
                match kind {
                    Kind::Firing => assert!(!untracked_open),
                    Kind::Reminder | Kind::Resolved => assert!(untracked_open),
                }
                untracked_open = kind != Kind::Resolved;
                continue;
            };
            let was_open = open.get(&key).copied().unwrap_or(false);
            match kind {
                Kind::Firing => assert!(!was_open, "second FIRING"),
                Kind::Reminder | Kind::Resolved => assert!(was_open, "{kind:?} without FIRING"),
            }
            if kind == Kind::Reminder && !input.refresh {
                let t = last[&key];
                assert!(now_ms - t >= policy.cooldown_ms, "closer than the cooldown");
            }
            open.insert(key, kind != Kind::Resolved);
            last.insert(key, now_ms);
        }
        for f in report.found.iter() {
            assert_eq!(
                open.get(&(f.pid, f.start_ticks)).copied().unwrap_or(false),
                f.over_threshold
            );
        }
        assert_eq!(untracked_open, report.not_tracked > 0);
    }
});
