//! `/proc/stat`: the streaming btime finder fed in chunks of every size agrees with the
//! whole-buffer parse, and a btime line after arbitrary other lines is found.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use lingerwatch::proc::parse::proc_stat::{btime, BtimeFinder};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    lines: Vec<&'a [u8]>,
    value: u64,
}

fuzz_target!(|raw: &[u8]| {
    // Any bytes (the seeds are real /proc/stat files), fed in chunks of every size.
    let whole = btime(raw);
    let sizes: Vec<usize> = if raw.len() <= 64 {
        (1..=raw.len().max(1)).collect()
    } else {
        vec![1, 5, 64, 4096]
    };
    for size in sizes {
        let mut f = BtimeFinder::default();
        for c in raw.chunks(size) {
            f.feed(c);
        }
        assert_eq!(f.finish(), whole, "chunk size {size}");
    }
    let Ok(input) = Input::arbitrary_take_rest(arbitrary::Unstructured::new(raw)) else {
        return;
    };

    // Other lines (none of them a btime line), then btime N.
    let mut file = Vec::new();
    for l in &input.lines {
        let l: Vec<u8> = l.iter().copied().filter(|&b| b != b'\n').collect();
        if l.starts_with(b"btime") {
            continue;
        }
        file.extend_from_slice(&l);
        file.push(b'\n');
    }
    file.extend_from_slice(format!("btime {}\nprocesses 1\n", input.value).as_bytes());
    assert_eq!(btime(&file), Ok(input.value));
});
