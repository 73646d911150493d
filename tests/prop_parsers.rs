//! The parsers' properties on random input, on the stable toolchain (the fuzz targets in
//! fuzz/ check the same with coverage guidance on nightly).
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

use lingerwatch::proc::parse::cgroup::{container_id, identify, Qos, POD_UID_SEPARATORS};
#[path = "common/kubelet.rs"]
mod kubelet;
use kubelet::{kubelet_pod_path, QOS_CLASSES};
use lingerwatch::proc::parse::cmdline::{
    naive_match, Matcher, PatternSet, ShownCmdline, SHOWN_LEN,
};
use lingerwatch::proc::parse::pid_stat;
use lingerwatch::proc::parse::proc_stat::{btime, BtimeFinder};
use lingerwatch::proc::parse::status::nspid_last;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes that make matching interesting: a small alphabet with NULs and spaces.
fn cmd_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(vec![b'a', b'b', b' ', 0u8, b'p', 0xd0, 0xb6]),
        0..max,
    )
}

/// The patterns a set takes (the rest are refused: empty, too long, too many), as the
/// set and as the list the naive oracle gets.
fn pattern_set(patterns: &[Vec<u8>]) -> (PatternSet, Vec<&[u8]>) {
    let mut set = PatternSet::new();
    let mut kept: Vec<&[u8]> = Vec::new();
    for p in patterns {
        if set.push(p).is_ok() {
            kept.push(p);
        }
    }
    (set, kept)
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
        let (inc_set, inc_kept) = pattern_set(&inc);
        let (exc_set, exc_kept) = pattern_set(&exc);
        let want = naive_match(&cmd, &inc_kept, &exc_kept);
        for size in 1..=cmd.len().max(1) {
            let mut m = Matcher::new(&inc_set, &exc_set);
            for c in cmd.chunks(size) { m.feed(c); }
            prop_assert_eq!(m.is_match(), want, "chunk size {}", size);
        }
    }

    /// Longer cmdlines and patterns than above: seams between chunks of every kind (the
    /// kept end, NUL runs, a chunk shorter than a pattern), patterns past a word's length.
    #[test]
    fn streaming_matcher_equals_naive_with_long_patterns_and_seams(
        cmd in cmd_bytes(400),
        inc in prop::collection::vec(cmd_bytes(40), 1..4),
        exc in prop::collection::vec(cmd_bytes(20), 0..2),
        sizes in prop::collection::vec(1usize..64, 1..8),
    ) {
        let (inc_set, inc_kept) = pattern_set(&inc);
        let (exc_set, exc_kept) = pattern_set(&exc);
        let want = naive_match(&cmd, &inc_kept, &exc_kept);
        // Uneven chunks, cycling through the drawn sizes.
        let mut m = Matcher::new(&inc_set, &exc_set);
        let (mut at, mut i) = (0, 0);
        while at < cmd.len() {
            let end = (at + sizes[i % sizes.len()]).min(cmd.len());
            m.feed(&cmd[at..end]);
            at = end;
            i += 1;
        }
        prop_assert_eq!(m.is_match(), want, "sizes {:?}", sizes);
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

// ---- cgroup container ids: inputs composed from labelled segments, so every case checks
// both directions (a planted id is found, nothing else is) against an oracle that never
// parses: it only reads the labels.

/// One path segment and, when it is one, the container id it plants.
#[derive(Clone, Debug)]
struct Segment {
    text: String,
    id: Option<String>,
}

const HEX64: &str = "[0-9a-f]{64}";
const RUNTIME_PREFIXES: [&str; 4] = ["docker-", "cri-containerd-", "crio-", "libpod-"];

fn planted(text: String, id: String) -> Segment {
    Segment { text, id: Some(id) }
}

fn plain(text: String) -> Segment {
    Segment { text, id: None }
}

/// Segments that carry an id in a form a runtime writes.
fn id_segment() -> impl Strategy<Value = Segment> {
    prop_oneof![
        (
            prop::sample::select(&RUNTIME_PREFIXES[..]),
            HEX64,
            any::<bool>()
        )
            .prop_map(|(prefix, id, scope)| {
                let scope = if scope { ".scope" } else { "" };
                planted(format!("{prefix}{id}{scope}"), id)
            }),
        HEX64.prop_map(|id| planted(id.clone(), id)),
        (
            "[g-z_]{1,10}",
            prop::sample::select(&["cri-containerd", "crio"][..]),
            HEX64
        )
            .prop_map(|(slice, prefix, id)| planted(format!("{slice}.slice:{prefix}:{id}"), id)),
    ]
}

/// Segments that look like ids and are not: monitors, a digit short or long, uppercase,
/// a non-hex digit, a mangled suffix, a runc path with an unknown prefix.
fn near_miss_segment() -> impl Strategy<Value = Segment> {
    let prefix = prop::sample::select(&RUNTIME_PREFIXES[..]);
    prop_oneof![
        (
            prop::sample::select(&["crio-conmon-", "libpod-conmon-"][..]),
            HEX64
        )
            .prop_map(|(p, id)| plain(format!("{p}{id}.scope"))),
        (prefix.clone(), "[0-9a-f]{63}").prop_map(|(p, id)| plain(format!("{p}{id}"))),
        (prefix.clone(), "[0-9a-f]{65}").prop_map(|(p, id)| plain(format!("{p}{id}.scope"))),
        (prefix.clone(), "[A-F][0-9A-F]{63}").prop_map(|(p, id)| plain(format!("{p}{id}"))),
        "[0-9a-f]{20}g[0-9a-f]{43}".prop_map(plain),
        (prefix, HEX64).prop_map(|(p, id)| plain(format!("{p}{id}.scop"))),
        ("[g-z]{1,8}", HEX64).prop_map(|(s, id)| plain(format!("{s}.slice:runc:{id}"))),
        HEX64.prop_map(|id| plain(format!("{id}x"))),
    ]
}

fn segment() -> impl Strategy<Value = Segment> {
    prop_oneof![
        3 => "[g-z._-]{0,12}".prop_map(plain),
        2 => id_segment(),
        2 => near_miss_segment(),
    ]
}

/// A `hierarchy-ID:controllers:` header, or (false) a line with none.
fn header() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![
        Just(("0::".to_owned(), true)),
        "[0-9]{1,2}:[a-z=,_]{1,16}:".prop_map(|h| (h, true)),
        "[g-z ]{0,6}".prop_map(|h| (h, false)),
    ]
}

/// A cgroup file and the id it must give: the innermost planted id of the first line
/// with a header that plants one.
fn cgroup_file() -> impl Strategy<Value = (String, Option<String>)> {
    let line = (header(), prop::collection::vec(segment(), 0..6));
    (prop::collection::vec(line, 0..5), any::<bool>()).prop_map(|(lines, trailing_newline)| {
        let mut want = None;
        let mut text = Vec::new();
        for ((head, has_header), mut segments) in lines {
            if !has_header {
                // Without a header any ':' in the path would make one; keep it out.
                segments.retain(|s| !s.text.contains(':'));
            }
            let innermost = segments.iter().rev().find_map(|s| s.id.clone());
            if has_header && want.is_none() {
                want = innermost;
            }
            let path: Vec<&str> = segments.iter().map(|s| s.text.as_str()).collect();
            text.push(format!("{head}/{}", path.join("/")));
        }
        let mut text = text.join("\n");
        if trailing_newline {
            text.push('\n');
        }
        (text, want)
    })
}

#[test]
fn cgroup_ids_are_64_hex_from_the_input() {
    const CASES: u32 = 2000;
    let (with_id, without_id) = (AtomicU64::new(0), AtomicU64::new(0));
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    let result = TestRunner::new(config).run(&cgroup_file(), |(text, want)| {
        let raw = text.as_bytes();
        let got = container_id(raw);
        prop_assert_eq!(got.map(|c| c.id), want.as_deref().map(str::as_bytes));
        prop_assert_eq!(identify(raw).container, got);
        if let Some(c) = got {
            prop_assert!(c
                .id
                .iter()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)));
            let start = (c.id.as_ptr() as usize).wrapping_sub(raw.as_ptr() as usize);
            prop_assert!(
                start + c.id.len() <= raw.len(),
                "the id is borrowed from the input"
            );
            with_id.fetch_add(1, Ordering::Relaxed);
        } else {
            without_id.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // Both directions were exercised, each in a good share of the cases.
    let (with_id, without_id) = (with_id.into_inner(), without_id.into_inner());
    println!("cgroup files with an id: {with_id}, without: {without_id}");
    assert!(
        with_id >= u64::from(CASES) / 4,
        "{with_id} of {CASES} had an id"
    );
    assert!(
        without_id >= u64::from(CASES) / 10,
        "{without_id} of {CASES} had none"
    );
}

// ---- cgroup pods: kubelet's own naming, both drivers, every QoS, any cgroupRoot.

const POD_UID: &str = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
/// A cgroup line naming a pod, and what it names.
#[derive(Clone, Debug)]
struct PodLine {
    text: String,
    /// As the API prints it, with dashes.
    uid: String,
    qos: Qos,
    /// The segment that names the pod, as the driver spells it.
    pod_segment: String,
    systemd: bool,
    container: Option<String>,
    /// A pod this one runs inside (a cluster in a pod), as (uid, qos).
    outer: Option<(String, Qos)>,
}

/// A line naming a pod, under a random prefix path (which cannot spell `kubepods`) and
/// maybe another pod, maybe with a container in it.
fn pod_line() -> impl Strategy<Value = PodLine> {
    let pod = (POD_UID, any::<bool>(), 0usize..3);
    (
        (pod.clone(), prop::option::of("[g-z_]{1,8}")),
        prop::option::of(pod),
        "(/[g-z_.]{1,10}){0,3}",
        prop::option::of(HEX64),
        prop::sample::select(&["0::", "1:name=systemd:", "12:memory:"][..]),
    )
        .prop_map(
            |(((uid, systemd, qos), root), outer, prefix, container, head)| {
                let outer = outer.map(|(uid, systemd, qos)| {
                    let (qos, component) = QOS_CLASSES[qos];
                    (kubelet_pod_path(None, component, &uid, systemd), uid, qos)
                });
                let outer_path = outer.as_ref().map_or("", |(path, _, _)| path.as_str());
                let (qos, component) = QOS_CLASSES[qos];
                let path = kubelet_pod_path(root.as_deref(), component, &uid, systemd);
                let container_segment = match &container {
                    Some(id) if systemd => format!("/cri-containerd-{id}.scope"),
                    Some(id) => format!("/{id}"),
                    None => String::new(),
                };
                PodLine {
                    text: format!("{head}{outer_path}{prefix}{path}{container_segment}\n"),
                    pod_segment: path.rsplit('/').next().unwrap_or_default().to_owned(),
                    uid,
                    qos,
                    systemd,
                    container,
                    outer: outer.map(|(_, uid, qos)| (uid, qos)),
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn pod_uid_from_either_driver_round_trips_to_the_dashed_form(line in pod_line()) {
        let got = identify(line.text.as_bytes());
        let pod = got.pod;
        prop_assert_eq!(pod.map(|p| p.uid.as_str().to_owned()), Some(line.uid), "{}", line.text);
        prop_assert_eq!(pod.map(|p| p.qos), Some(line.qos));
        prop_assert_eq!(got.container.map(|c| c.id.to_vec()), line.container.map(String::into_bytes));
    }

    #[test]
    fn pod_uid_one_byte_off_names_no_pod(
        line in pod_line(),
        at in 0usize..36,
        bad in prop::sample::select(&["A", "F", "g", "-", "_", ":", "/", "", "0a"][..]),
    ) {
        // One byte replaced (by nothing: 35 long; by two: 37 long; or by a wrong one).
        let own_separator = if line.systemd { "_" } else { "-" };
        prop_assume!(!(POD_UID_SEPARATORS.contains(&at) && bad == own_separator));
        let spelled = if line.systemd { line.uid.replace('-', "_") } else { line.uid.clone() };
        let mut mangled_uid = spelled.clone().into_bytes();
        mangled_uid.splice(at..=at, bad.bytes());
        let mangled_uid = String::from_utf8(mangled_uid).unwrap();
        let mangled_segment = line.pod_segment.replacen(&spelled, &mangled_uid, 1);
        let mangled = line.text.replacen(&line.pod_segment, &mangled_segment, 1);
        prop_assert_ne!(&mangled, &line.text);
        // No pod, or the one it runs inside.
        let got = identify(mangled.as_bytes()).pod.map(|p| (p.uid.as_str().to_owned(), p.qos));
        prop_assert_eq!(got, line.outer, "{}", mangled);
    }
}

/// The `NSpid:` reading, as plainly as it can be said: the first whole line (ended by a
/// newline) that starts with `NSpid:`; its tab- or space-separated values, every one
/// decimal digits that fit a pid; the last of them.
fn naive_nspid_last(status: &[u8]) -> Option<u32> {
    let whole = &status[..status.iter().rposition(|&b| b == b'\n')? + 1];
    let line = whole
        .split(|&b| b == b'\n')
        .find(|l| l.starts_with(b"NSpid:"))?;
    let values: Vec<&[u8]> = line[6..]
        .split(|&b| b == b'\t' || b == b' ')
        .filter(|v| !v.is_empty())
        .collect();
    let mut last = None;
    for v in values {
        if !v.iter().all(u8::is_ascii_digit) {
            return None;
        }
        last = Some(std::str::from_utf8(v).ok()?.parse::<u32>().ok()?);
    }
    last
}

/// Status-like text from pieces that make the parser's choices matter.
fn status_bytes() -> impl Strategy<Value = Vec<u8>> {
    let pieces: Vec<&'static [u8]> = vec![
        b"NSpid:",
        b"NStgid:",
        b"NSpids:",
        b"Name:\t",
        b"\t",
        b" ",
        b"\n",
        b"\r",
        b"1",
        b"0",
        b"42",
        b"4294967295",
        b"4294967296",
        b"-1",
        b"+1",
        b"x",
        b"\xff",
    ];
    prop::collection::vec(prop::sample::select(pieces), 0..40).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn nspid_last_equals_the_naive_reading(status in status_bytes()) {
        prop_assert_eq!(nspid_last(&status), naive_nspid_last(&status));
    }

    #[test]
    fn nspid_last_never_panics_on_any_bytes(raw in prop::collection::vec(any::<u8>(), 0..300)) {
        prop_assert_eq!(nspid_last(&raw), naive_nspid_last(&raw));
    }

    #[test]
    fn the_nspid_line_after_any_lines_gives_its_last_pid(
        before in prop::collection::vec("[A-Za-z]{1,8}:\t[a-z0-9 ]{0,12}", 0..12),
        pids in prop::collection::vec(any::<u32>(), 1..5),
    ) {
        let mut text = String::new();
        for l in &before {
            text += l;
            text += "\n";
        }
        let values: Vec<String> = pids.iter().map(u32::to_string).collect();
        text += &format!("NSpid:\t{}\nNSpgid:\t1\n", values.join("\t"));
        prop_assert_eq!(nspid_last(text.as_bytes()), pids.last().copied());
    }
}

// ---- issue 22: /proc/stat's cpu line, /proc/pressure/cpu, task children, pod directories.

#[path = "common/naive.rs"]
mod naive;

mod issue22 {
    use lingerwatch::proc::parse::children::{children, children_of_prefix};
    use lingerwatch::proc::parse::cpu_times::{
        cpu_times, share_permille, CpuTimes, CpuTimesFinder,
    };
    use lingerwatch::proc::parse::pods;
    use lingerwatch::proc::parse::pressure::{percent_hundredths, some, some_avg60};
    use proptest::prelude::*;

    use super::naive;

    /// Bytes that make the cpu, pressure and children parsers interesting.
    fn proc_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
        let alphabet = b"cpu some avg10= avg60=total.0123456789\n\n  -_x\xff".to_vec();
        prop::collection::vec(prop::sample::select(alphabet), 0..max)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn cpu_line_from_any_counters_sums_the_first_eight(
            counters in prop::collection::vec(any::<u64>(), 4..=10),
            gaps in prop::collection::vec(1usize..3, 10),
            nl: bool,
            chunk in 1usize..40,
        ) {
            let mut line = b"cpu".to_vec();
            for (c, gap) in counters.iter().zip(&gaps) {
                line.extend(std::iter::repeat_n(b' ', *gap));
                line.extend_from_slice(c.to_string().as_bytes());
            }
            if nl { line.extend_from_slice(b"\ncpu0 1 2 3 4\nbtime 5\n"); }
            let total = counters.iter().take(8).fold(0u64, |a, &c| a.saturating_add(c));
            let idle = counters[3].saturating_add(counters.get(4).copied().unwrap_or(0));
            let want = CpuTimes { total_ticks: total, idle_ticks: idle };
            prop_assert_eq!(cpu_times(&line), Ok(want));
            let mut f = CpuTimesFinder::default();
            for c in line.chunks(chunk) { f.feed(c); }
            prop_assert_eq!(f.finish(), Ok(want));
        }

        #[test]
        fn cpu_times_equal_the_naive_reading_of_any_bytes(
            start in prop::sample::select(&["", "cpu ", "cpu  1 2 3 ", "cpu  1 2 3 4 5 6 7 "][..]),
            tail in proc_bytes(120),
            chunk in 1usize..20,
        ) {
            let raw = [start.as_bytes(), &tail].concat();
            let whole = cpu_times(&raw);
            let got = whole.ok().map(|t| (t.total_ticks, t.idle_ticks));
            prop_assert_eq!(got, naive::cpu_times(&raw));
            let mut f = CpuTimesFinder::default();
            for c in raw.chunks(chunk) { f.feed(c); }
            prop_assert_eq!(f.finish(), whole);
        }

        #[test]
        fn host_share_is_the_part_over_the_whole_in_per_mille(
            t0: u32, dt in 0u32..1_000_000, part in 0u32..2_000_000,
        ) {
            let before = CpuTimes { total_ticks: u64::from(t0), idle_ticks: 0 };
            let after = CpuTimes { total_ticks: u64::from(t0) + u64::from(dt), idle_ticks: 0 };
            let want = (dt > 0).then(|| (u64::from(part) * 1000 / u64::from(dt)).min(1000) as u16);
            prop_assert_eq!(share_permille(u64::from(part), before, after), want);
            prop_assert_eq!(share_permille(u64::from(part), after, before), None);
        }

        #[test]
        fn pressure_some_line_round_trips_hundredths(
            avgs in [0u16..=10_000, 0u16..=10_000, 0u16..=10_000],
            total: u64,
            full_first: bool,
        ) {
            let pct = |v: u16| format!("{}.{:02}", v / 100, v % 100);
            let some_line = format!(
                "some avg10={} avg60={} avg300={} total={total}\n",
                pct(avgs[0]), pct(avgs[1]), pct(avgs[2])
            );
            let full = "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
            let file = if full_first { format!("{full}{some_line}") } else { format!("{some_line}{full}") };
            let p = some(file.as_bytes()).unwrap();
            prop_assert_eq!((p.avg10, p.avg60, p.avg300, p.total_us), (avgs[0], avgs[1], avgs[2], total));
        }

        #[test]
        fn pressure_equals_the_naive_reading_of_any_bytes(
            start in prop::sample::select(&["", "some avg10=", "some avg10=1.00 avg60=", "some avg10=1.00 avg60=41.23 avg300=9.9 total="][..]),
            tail in proc_bytes(120),
            text in "[0-9.+-]{0,7}",
        ) {
            let raw = [start.as_bytes(), &tail].concat();
            prop_assert_eq!(some_avg60(&raw), naive::some_avg60(&raw));
            prop_assert_eq!(percent_hundredths(text.as_bytes()), naive::percent(&text));
        }

        #[test]
        fn children_file_round_trips_and_equals_the_naive_split(
            pids in prop::collection::vec(1u32..=4_194_304, 0..40),
            raw in proc_bytes(120),
            cut in 0usize..400,
        ) {
            let file: String = pids.iter().map(|p| format!("{p} ")).collect();
            prop_assert_eq!(children(file.as_bytes()).collect::<Vec<_>>(), pids.clone());
            // A buffer cut anywhere yields a prefix of the pids, never a piece of one.
            let cut = cut.min(file.len());
            let got: Vec<u32> = children_of_prefix(&file.as_bytes()[..cut]).collect();
            prop_assert!(pids.starts_with(&got), "{:?} of {:?}", got, pids);
            let mut c = children(&raw);
            let got: Vec<u32> = c.by_ref().collect();
            prop_assert_eq!((got, c.skipped()), naive::children(&raw));
        }

        #[test]
        fn pod_directory_round_trips_and_equals_the_naive_split(
            ns in "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?",
            name in "[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?){0,3}",
            uid in super::POD_UID,
            raw in "[a-z0-9_.A-]{0,60}",
        ) {
            let entry = format!("{ns}_{name}_{uid}");
            let dir = pods::parse(entry.as_bytes()).unwrap();
            prop_assert_eq!((dir.namespace, dir.name, dir.uid), (ns.as_str(), name.as_str(), uid.as_str()));
            let got = pods::parse(raw.as_bytes()).map(|d| (d.namespace.to_owned(), d.name.to_owned(), d.uid.to_owned()));
            prop_assert_eq!(got, naive::pod_dir(raw.as_bytes()));
            // Any one byte of the UID changed to a separator or a capital: no pod.
            let mut bad = entry.clone().into_bytes();
            let at = bad.len() - 1 - (raw.len() % 36);
            bad[at] = if bad[at] == b'-' { b'_' } else { b'A' };
            prop_assert_eq!(pods::parse(&bad), None);
        }
    }
}
