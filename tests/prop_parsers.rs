//! The parsers' properties on random input, on the stable toolchain (the fuzz targets in
//! fuzz/ check the same with coverage guidance on nightly).
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

use lingerwatch::parse::cgroup::container_id;
use lingerwatch::parse::cmdline::{naive_match, Matcher, PatternSet, ShownCmdline, SHOWN_LEN};
use lingerwatch::parse::pid_stat;
use lingerwatch::parse::proc_stat::{btime, BtimeFinder};
use proptest::prelude::*;

/// Bytes that make matching interesting: a small alphabet with NULs and spaces.
fn cmd_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(vec![b'a', b'b', b' ', 0u8, b'p', 0xd0, 0xb6]),
        0..max,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn stat_line_from_any_comm_and_values_parses_back(
        pid: u32, comm in prop::collection::vec(any::<u8>(), 0..64), state in prop::char::range('A', 'z'),
        ppid: u32, utime: u64, stime: u64, threads: u32, starttime: u64, rss: i64, nl: bool,
    ) {
        prop_assume!(state.is_ascii_alphabetic());
        let mut line = format!("{pid} (").into_bytes();
        line.extend_from_slice(&comm);
        line.extend_from_slice(format!(
            ") {state} {ppid} 1 1 0 -1 0 0 0 0 0 {utime} {stime} 0 0 20 0 {threads} 0 {starttime} 9 {rss} 0 0"
        ).as_bytes());
        if nl { line.push(b'\n'); }
        let s = pid_stat::parse(&line).unwrap();
        prop_assert_eq!(s.pid, pid);
        prop_assert_eq!(s.comm, &comm[..]);
        prop_assert_eq!(s.state, state as u8);
        prop_assert_eq!((s.ppid, s.utime, s.stime, s.starttime), (ppid, utime, stime, starttime));
        prop_assert_eq!(s.num_threads, u64::from(threads));
        prop_assert_eq!(s.rss_pages, u64::try_from(rss).unwrap_or(0));
    }

    #[test]
    fn stat_parser_never_panics_and_comm_sits_between_the_parens(raw in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(s) = pid_stat::parse(&raw) {
            let open = raw.iter().position(|&b| b == b'(').unwrap();
            let close = raw.iter().rposition(|&b| b == b')').unwrap();
            prop_assert_eq!(s.comm, &raw[open + 1..close]);
        }
    }

    #[test]
    fn streaming_matcher_equals_naive_for_every_chunk_size(
        cmd in cmd_bytes(80),
        inc in prop::collection::vec(cmd_bytes(6), 1..4),
        exc in prop::collection::vec(cmd_bytes(6), 0..2),
    ) {
        let mut inc_set = PatternSet::new();
        let mut inc_kept: Vec<&[u8]> = Vec::new();
        for p in &inc { if inc_set.push(p).is_ok() { inc_kept.push(p); } }
        let mut exc_set = PatternSet::new();
        let mut exc_kept: Vec<&[u8]> = Vec::new();
        for p in &exc { if exc_set.push(p).is_ok() { exc_kept.push(p); } }
        let want = naive_match(&cmd, &inc_kept, &exc_kept);
        for size in 1..=cmd.len().max(1) {
            let mut m = Matcher::new(&inc_set, &exc_set);
            for c in cmd.chunks(size) { m.feed(c); }
            prop_assert_eq!(m.is_match(), want, "chunk size {}", size);
        }
    }

    #[test]
    fn shown_cmdline_is_the_joined_prefix_cut_at_a_character(cmd in cmd_bytes(700), size in 1usize..700) {
        let end = cmd.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        let joined: Vec<u8> = cmd[..end].iter().map(|&b| if b == 0 { b' ' } else { b }).collect();
        let mut shown = ShownCmdline::default();
        for c in cmd.chunks(size) { shown.feed(c); }
        prop_assert!(joined.starts_with(shown.as_bytes()));
        // No character cut in half (the cmdline fuzz target's corrected property).
        let full = String::from_utf8_lossy(&joined);
        prop_assert!(full.starts_with(String::from_utf8_lossy(shown.as_bytes()).as_ref()));
        prop_assert_eq!(shown.truncated(), joined.len() > SHOWN_LEN);
        if !shown.truncated() { prop_assert_eq!(shown.as_bytes(), &joined[..]); }
        else { prop_assert!(shown.as_bytes().len() + 3 >= SHOWN_LEN); }
    }

    #[test]
    fn btime_streaming_equals_whole_and_is_found_after_any_lines(
        raw in prop::collection::vec(prop::sample::select(vec![b'b', b't', b'i', b'm', b'e', b' ', b'\n', b'7']), 0..60),
        lines in prop::collection::vec("[a-z ]{0,30}", 0..6), value: u64,
    ) {
        let whole = btime(&raw);
        for size in 1..=raw.len().max(1) {
            let mut f = BtimeFinder::default();
            for c in raw.chunks(size) { f.feed(c); }
            prop_assert_eq!(f.finish(), whole);
        }
        let mut file = String::new();
        for l in lines.iter().filter(|l| !l.starts_with("btime")) { file.push_str(l); file.push('\n'); }
        file.push_str(&format!("btime {value}\nprocesses 3\n"));
        prop_assert_eq!(btime(file.as_bytes()), Ok(value));
    }

    #[test]
    fn cgroup_ids_are_64_hex_from_the_input(raw in prop::collection::vec(prop::sample::select(b"0123456789abcdefx/:-.\ndockerscope".to_vec()), 0..300)) {
        if let Some(c) = container_id(&raw) {
            prop_assert_eq!(c.id.len(), 64);
            prop_assert!(c.id.iter().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
            prop_assert!(raw.windows(64).any(|w| w == c.id));
        }
    }

    #[test]
    fn known_cgroup_forms_give_back_their_id(id in "[0-9a-f]{64}", form in 0usize..6, prefix in "[g-z./]{0,20}") {
        let path = match form {
            0 => format!("/system.slice/docker-{id}.scope"),
            1 => format!("/docker/{id}"),
            2 => format!("/kubepods.slice/cri-containerd-{id}.scope"),
            3 => format!("/crio-{id}.scope"),
            4 => format!("/machine.slice/libpod-{id}.scope/container"),
            _ => format!("/kubepods/besteffort/pod1/{id}"),
        };
        let text = format!("0::/{prefix}{path}\n");
        prop_assert_eq!(container_id(text.as_bytes()).map(|c| c.id), Some(id.as_bytes()));
    }
}
