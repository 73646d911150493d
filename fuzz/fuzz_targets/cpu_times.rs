//! `/proc/stat`'s aggregate cpu line: any bytes give what the naive reading
//! (tests/common/naive.rs) gives, the streaming finder fed in chunks of every size agrees
//! with the whole-buffer parse, a line built from arbitrary counters sums its first eight,
//! and a share is never above 1000 per mille.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use lingerwatch::proc::parse::cpu_times::{cpu_times, share_permille, CpuTimes, CpuTimesFinder};

#[path = "../../tests/common/naive.rs"]
mod naive;

#[derive(Arbitrary, Debug)]
struct Input {
    counters: Vec<u64>,
    wide_gaps: u16,
    part: u64,
    later: u64,
}

fn check_any_bytes(raw: &[u8]) {
    let whole = cpu_times(raw);
    let got = whole.ok().map(|t| (t.total_ticks, t.idle_ticks));
    assert_eq!(got, naive::cpu_times(raw));
    let sizes: Vec<usize> = if raw.len() <= 64 {
        (1..=raw.len().max(1)).collect()
    } else {
        vec![1, 3, 64, 4096]
    };
    for size in sizes {
        let mut f = CpuTimesFinder::default();
        for c in raw.chunks(size) {
            f.feed(c);
        }
        assert_eq!(f.finish(), whole, "chunk size {size}");
    }
}

fuzz_target!(|raw: &[u8]| {
    check_any_bytes(raw);
    let Ok(input) = Input::arbitrary_take_rest(arbitrary::Unstructured::new(raw)) else {
        return;
    };
    let counters = &input.counters[..input.counters.len().min(12)];
    let mut line = b"cpu".to_vec();
    for (i, c) in counters.iter().enumerate() {
        let gap = 1 + usize::from(input.wide_gaps >> (i % 16) & 1);
        line.extend(std::iter::repeat_n(b' ', gap));
        line.extend_from_slice(c.to_string().as_bytes());
    }
    line.extend_from_slice(b"\ncpu0 1 2 3 4\n");
    let got = cpu_times(&line);
    if counters.len() < 4 {
        assert!(got.is_err());
        return;
    }
    let total = counters
        .iter()
        .take(8)
        .fold(0u64, |a, &c| a.saturating_add(c));
    let idle = counters[3].saturating_add(counters.get(4).copied().unwrap_or(0));
    let want = CpuTimes {
        total_ticks: total,
        idle_ticks: idle,
    };
    assert_eq!(got, Ok(want));
    let after = CpuTimes {
        total_ticks: total.saturating_add(input.later),
        ..want
    };
    if let Some(share) = share_permille(input.part, want, after) {
        assert!(share <= 1000);
        assert!(after.total_ticks > want.total_ticks);
    } else {
        assert_eq!(after.total_ticks, want.total_ticks);
    }
});
