//! The streaming cmdline matcher agrees with a naive match on the whole joined cmdline,
//! for every chunk size; the shown cmdline is the joined prefix cut at a UTF-8 boundary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lingerwatch::proc::parse::cmdline::{naive_match, Matcher, PatternSet, ShownCmdline, SHOWN_LEN};

/// The input is the raw cmdline (the seeds are real ones); patterns are drawn from it:
/// "pytest", and slices of the cmdline chosen by its first bytes, so matches happen.
struct Input<'a> {
    include: Vec<&'a [u8]>,
    exclude: Vec<&'a [u8]>,
    cmdline: &'a [u8],
}

fn slice_of(data: &[u8], a: u8, b: u8) -> &[u8] {
    if data.is_empty() {
        return b"x";
    }
    let start = usize::from(a) * data.len() / 256;
    let len = usize::from(b % 24) + 1;
    &data[start..(start + len).min(data.len())]
}

fn input(data: &[u8]) -> Input<'_> {
    let b = |i: usize| data.get(i).copied().unwrap_or(0);
    let mut include: Vec<&[u8]> = vec![b"pytest", slice_of(data, b(0), b(1))];
    if b(2) & 1 == 1 {
        include.push(slice_of(data, b(3), b(4)));
    }
    let exclude = if b(5) & 3 == 0 {
        vec![slice_of(data, b(6), b(7))]
    } else {
        vec![]
    };
    Input {
        include,
        exclude,
        cmdline: data,
    }
}

fn set(patterns: &[&[u8]]) -> (PatternSet, Vec<Vec<u8>>) {
    let mut s = PatternSet::new();
    let mut kept = Vec::new();
    for p in patterns.iter().take(4) {
        if s.push(p).is_ok() {
            kept.push(p.to_vec());
        }
    }
    (s, kept)
}

fuzz_target!(|data: &[u8]| {
    let input = input(data);
    let (inc, inc_kept) = set(&input.include);
    let (exc, exc_kept) = set(&input.exclude[..input.exclude.len().min(2)]);
    let inc_refs: Vec<&[u8]> = inc_kept.iter().map(Vec::as_slice).collect();
    let exc_refs: Vec<&[u8]> = exc_kept.iter().map(Vec::as_slice).collect();
    let want = naive_match(input.cmdline, &inc_refs, &exc_refs);

    let len = input.cmdline.len();
    // Every chunk size for short inputs; a spread of sizes for long ones.
    let sizes: Vec<usize> = if len <= 64 {
        (1..=len.max(1)).collect()
    } else {
        vec![1, 2, 3, 7, 64, 4096, len / 2 + 1, len]
    };
    let joined_end = input
        .cmdline
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |i| i + 1);
    let joined: Vec<u8> = input.cmdline[..joined_end]
        .iter()
        .map(|&b| if b == 0 { b' ' } else { b })
        .collect();
    for size in sizes {
        let mut m = Matcher::new(&inc, &exc);
        let mut shown = ShownCmdline::default();
        for chunk in input.cmdline.chunks(size.max(1)) {
            m.feed(chunk);
            shown.feed(chunk);
        }
        assert_eq!(m.is_match(), want, "chunk size {size}");
        let s = shown.as_bytes();
        assert_eq!(
            shown.truncated(),
            joined.len() > SHOWN_LEN,
            "chunk size {size}"
        );
        assert!(
            joined.starts_with(s),
            "shown is a prefix of the joined cmdline"
        );
        if shown.truncated() {
            assert!(s.len() + 3 >= SHOWN_LEN, "cut at most one character short");
            // No valid character of the original is cut in half: decoded, the shown bytes
            // are a prefix of the decoded original. (They may still end in a byte that
            // was invalid in the original too; the renderers replace it.)
            let full = String::from_utf8_lossy(&joined);
            assert!(
                full.starts_with(String::from_utf8_lossy(s).as_ref()),
                "a character cut in half"
            );
        } else {
            assert_eq!(s, &joined[..]);
        }
    }
});
