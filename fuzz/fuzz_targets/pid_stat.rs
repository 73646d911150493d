//! `/proc/<pid>/stat`: arbitrary bytes never panic, and a line synthesised from arbitrary
//! comm bytes and field values parses back to exactly those values.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use lingerwatch::proc::parse::pid_stat::parse;

#[derive(Arbitrary, Debug)]
struct Line<'a> {
    pid: u32,
    comm: &'a [u8],
    state: u8,
    ppid: u32,
    utime: u64,
    stime: u64,
    num_threads: u32,
    starttime: u64,
    rss: i64,
    trailing_newline: bool,
}

fuzz_target!(|raw: &[u8]| {
    // Any bytes (the seeds are real stat lines): an error value or a comm taken between
    // the first '(' and the last ')'.
    if let Ok(s) = parse(raw) {
        let open = raw.iter().position(|&b| b == b'(').unwrap();
        let close = raw.iter().rposition(|&b| b == b')').unwrap();
        assert_eq!(s.comm, &raw[open + 1..close]);
    }
    let Ok(l) = Line::arbitrary_take_rest(arbitrary::Unstructured::new(raw)) else {
        return;
    };

    // Round trip. The kernel's comm is at most 64 bytes of anything; state is one letter
    // (a ')' there would be the line's last ')', which no kernel writes).
    let comm = &l.comm[..l.comm.len().min(64)];
    let state = if l.state.is_ascii_alphabetic() {
        l.state
    } else {
        b'R'
    };
    let mut line = format!("{} (", l.pid).into_bytes();
    line.extend_from_slice(comm);
    line.extend_from_slice(b") ");
    line.push(state);
    line.extend_from_slice(
        format!(
            " {} 1 1 0 -1 4194304 0 0 0 0 {} {} 0 0 20 0 {} 0 {} 123 {} 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0",
            l.ppid, l.utime, l.stime, l.num_threads, l.starttime, l.rss
        )
        .as_bytes(),
    );
    if l.trailing_newline {
        line.push(b'\n');
    }
    let s = parse(&line).expect("a well-formed line parses");
    assert_eq!(s.pid, l.pid);
    assert_eq!(s.comm, comm);
    assert_eq!(s.state, state);
    assert_eq!(
        (s.ppid, s.utime, s.stime, s.starttime),
        (l.ppid, l.utime, l.stime, l.starttime)
    );
    assert_eq!(s.num_threads, u64::from(l.num_threads));
    assert_eq!(s.rss_pages, u64::try_from(l.rss).unwrap_or(0));
});
