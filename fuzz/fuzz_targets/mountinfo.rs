//! mountinfo on any bytes: the line parser never panics, and the streaming finder gives
//! the same answer whatever the chunk size as the first matching line does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lingerwatch::proc::parse::mountinfo::{proc_mount, ProcMountFinder, LINE_CAP};

fuzz_target!(|input: (&[u8], u8, u8, u8)| {
    let (text, major, minor, chunk) = input;
    let dev = (u32::from(major % 4), u32::from(minor % 64));
    let whole = text
        .split(|&b| b == b'\n')
        .filter(|l| l.len() <= LINE_CAP)
        .find_map(|l| proc_mount(l, dev));
    let mut f = ProcMountFinder::new(dev);
    for c in text.chunks(usize::from(chunk).max(1)) {
        f.feed(c);
    }
    assert_eq!(f.finish(), whole);
});
