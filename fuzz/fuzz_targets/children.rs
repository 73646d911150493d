//! `/proc/<pid>/task/<tid>/children`: any bytes give the pids and the skipped count of the
//! naive whitespace split (tests/common/naive.rs); a file written as the kernel writes it
//! (`"%d "` per child) gives back its pids, and any cut of it gives a prefix of them, never
//! a piece of a pid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lingerwatch::proc::parse::children::{children, children_of_prefix};

#[path = "../../tests/common/naive.rs"]
mod naive;

fuzz_target!(|raw: &[u8]| {
    let mut c = children(raw);
    let got: Vec<u32> = c.by_ref().collect();
    assert_eq!((got, c.skipped()), naive::children(raw));

    // Round trip: pids from the input's bytes, taken three at a time.
    let pids: Vec<u32> = raw
        .chunks_exact(3)
        .map(|b| 1 + (u32::from_le_bytes([b[0], b[1], b[2], 0]) % 4_194_304))
        .collect();
    let file: String = pids.iter().map(|p| format!("{p} ")).collect();
    assert_eq!(children(file.as_bytes()).collect::<Vec<_>>(), pids);
    for cut in [
        0,
        1,
        file.len() / 3,
        file.len() / 2,
        file.len().saturating_sub(1),
    ] {
        let cut = cut.min(file.len());
        let got: Vec<u32> = children_of_prefix(&file.as_bytes()[..cut]).collect();
        assert!(pids.starts_with(&got), "{got:?} of {pids:?}");
    }
});
