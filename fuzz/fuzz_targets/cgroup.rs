//! `/proc/<pid>/cgroup`: never panics; an id is 64 lowercase hex digits taken from the
//! input; a line built from a known runtime form gives back its id.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use lingerwatch::parse::cgroup::{container_id, Runtime};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    id: [u8; 32],
    form: u8,
    before: &'a str,
}

fuzz_target!(|raw: &[u8]| {
    // Any bytes (the seeds are real cgroup files).
    if let Some(c) = container_id(raw) {
        assert_eq!(c.id.len(), 64);
        assert!(c
            .id
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)));
        let start = c.id.as_ptr() as usize - raw.as_ptr() as usize;
        assert!(start + 64 <= raw.len(), "id borrowed from the input");
    }
    let Ok(input) = Input::arbitrary_take_rest(arbitrary::Unstructured::new(raw)) else {
        return;
    };

    let id: String = input.id.iter().map(|b| format!("{b:02x}")).collect();
    let (path, runtime) = match input.form % 6 {
        0 => (format!("/system.slice/docker-{id}.scope"), Runtime::Docker),
        1 => (format!("/docker/{id}"), Runtime::Docker),
        2 => (
            format!("/kubepods.slice/kubepods-pod1.slice/cri-containerd-{id}.scope"),
            Runtime::Containerd,
        ),
        3 => (format!("/kubepods.slice/crio-{id}.scope"), Runtime::Crio),
        4 => (
            format!("/machine.slice/libpod-{id}.scope/container"),
            Runtime::Podman,
        ),
        _ => (format!("/kubepods/burstable/pod1/{id}"), Runtime::Unknown),
    };
    // A prefix path without hex-id segments or newlines must not change the answer.
    let before: String = input
        .before
        .chars()
        .filter(|c| *c != '\n' && !c.is_ascii_hexdigit())
        .collect();
    let text = format!("0::/{}{path}\n", before.trim_start_matches('/'));
    let got = container_id(text.as_bytes()).expect("a known form is recognised");
    assert_eq!(got.id, id.as_bytes());
    if input.form % 6 != 1 && input.form % 6 != 5 {
        assert_eq!(got.runtime, runtime);
    }
});
