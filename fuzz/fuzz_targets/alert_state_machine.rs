//! The alert table with its delivery state, on random sequences of scans (processes
//! appearing, lingering, vanishing, pids reused, more than every capacity) and random
//! delivery outcomes to up to four destinations: every promise of
//! `tests/common/table_model.rs` (the same model the property tests run) is checked
//! after each step and once everything is gone.
#![no_main]

#[path = "../../tests/common/table_model.rs"]
mod table_model;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use lingerwatch::alert::outbox::Cadence;
use table_model::{Model, Step, PIDS};

#[derive(Arbitrary, Debug)]
enum RawStep {
    Scan {
        advance_ms: u16,
        first: u16,
        count: u16,
        lingers: bool,
        scattered: Vec<(u16, bool)>,
    },
    Deliver {
        dest: u8,
        max: u8,
        outcome: u8,
        advance_ms: u16,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    refresh: [bool; 4],
    destinations: u8,
    cooldown_s: u8,
    refusals: bool,
    steps: Vec<RawStep>,
}

fuzz_target!(|input: Input| {
    let n = usize::from(input.destinations % 4) + 1;
    let cadences: Vec<Cadence> = input.refresh[..n]
        .iter()
        .map(|&r| {
            if r {
                Cadence::Refresh
            } else {
                Cadence::Messages
            }
        })
        .collect();
    let mut model = Model::new(&cadences, u64::from(input.cooldown_s), input.refusals);
    for raw in input.steps.iter().take(64) {
        let step = match raw {
            RawStep::Scan {
                advance_ms,
                first,
                count,
                lingers,
                scattered,
            } => {
                // A run of identities (bursts past 256) plus a few scattered ones.
                let mut present: Vec<(u16, bool)> = (0..count % 320)
                    .map(|i| ((first.wrapping_add(i)) % (2 * PIDS), *lingers))
                    .collect();
                present.extend(scattered.iter().take(16).map(|&(i, l)| (i % (2 * PIDS), l)));
                Step::Scan {
                    advance_ms: u64::from(*advance_ms) * 10,
                    present,
                }
            }
            RawStep::Deliver {
                dest,
                max,
                outcome,
                advance_ms,
            } => Step::Deliver {
                dest: *dest,
                max: *max,
                outcome: *outcome,
                advance_ms: u64::from(*advance_ms) * 10,
            },
        };
        model.step(&step);
    }
    model.drain();
});
