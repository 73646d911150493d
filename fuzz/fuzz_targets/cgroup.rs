//! `/proc/<pid>/cgroup`: never panics; an id is 64 lowercase hex digits taken from the
//! input; a pod UID is 36 bytes in the API's spelling (lowercase hex, dashes at 8, 13, 18,
//! 23) whose digits the input holds in that order with one driver's separator between the
//! groups, after `pod`; a returned QoS is named in the input; a line built from a known
//! runtime form gives back its id, one built from the kubelet's naming its pod.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use lingerwatch::proc::parse::cgroup::{
    container_id, identify, Pod, Qos, Runtime, POD_UID_LEN, POD_UID_SEPARATORS,
};

#[path = "../../tests/common/kubelet.rs"]
mod kubelet;
use kubelet::{kubelet_pod_path, QOS_CLASSES};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    id: [u8; 32],
    form: u8,
    pod_uid: [u8; 16],
    pod_form: u8,
    before: &'a str,
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// What any bytes must satisfy (the seeds are real cgroup files).
fn check_any_input(raw: &[u8]) {
    let identity = identify(raw);
    assert_eq!(
        identity.container,
        container_id(raw),
        "one pass, same answer"
    );
    if let Some(c) = identity.container {
        assert_eq!(c.id.len(), 64);
        assert!(c.id.iter().all(|&b| is_lower_hex(b)));
        let start = c.id.as_ptr() as usize - raw.as_ptr() as usize;
        assert!(start + 64 <= raw.len(), "id borrowed from the input");
    }
    if let Some(pod) = identity.pod {
        check_pod_is_from_the_input(raw, pod);
    }
}

fn check_pod_is_from_the_input(raw: &[u8], pod: Pod) {
    let uid = pod.uid.as_bytes();
    assert_eq!(pod.uid.as_str().as_bytes(), uid);
    assert_eq!(uid.len(), POD_UID_LEN);
    for (at, &b) in uid.iter().enumerate() {
        if POD_UID_SEPARATORS.contains(&at) {
            assert_eq!(b, b'-', "{uid:?}");
        } else {
            assert!(is_lower_hex(b), "{uid:?}");
        }
    }
    let spelled_with = |separator: u8| -> Vec<u8> {
        let mut s = b"pod".to_vec();
        s.extend(uid.iter().map(|&b| if b == b'-' { separator } else { b }));
        s
    };
    let (cgroupfs, systemd) = (spelled_with(b'-'), spelled_with(b'_'));
    assert!(
        raw.windows(cgroupfs.len())
            .any(|w| w == cgroupfs.as_slice() || w == systemd.as_slice()),
        "the UID's digits are in the input in order, with one driver's separator"
    );
    let qos_named: &[u8] = match pod.qos {
        Qos::Guaranteed => b"kubepods",
        Qos::Burstable => b"burstable",
        Qos::BestEffort => b"besteffort",
    };
    assert!(raw.windows(qos_named.len()).any(|w| w == qos_named));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A container line in one of the runtimes' forms gives back its id (and runtime).
fn check_container_form(input: &Input, before: &str) {
    let id = hex(&input.id);
    let (path, runtime) = match input.form % 7 {
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
        5 => (
            format!("/system.slice/containerd.service/kubepods-besteffort-pod1.slice:cri-containerd:{id}"),
            Runtime::Containerd,
        ),
        _ => (format!("/kubepods/burstable/pod1/{id}"), Runtime::Unknown),
    };
    let text = format!("0::/{before}{path}\n");
    let got = container_id(text.as_bytes()).expect("a known form is recognised");
    assert_eq!(got.id, id.as_bytes());
    if input.form % 7 != 1 && input.form % 7 != 6 {
        assert_eq!(got.runtime, runtime);
    }
}

/// A pod line in the kubelet's naming (pkg/kubelet/cm: {root, kubepods, qos, pod<uid>};
/// the systemd driver writes `-` as `_` and spells each slice's whole path) gives back
/// the UID with dashes and the QoS.
fn check_pod_form(input: &Input, before: &str) {
    let h = hex(&input.pod_uid);
    let uid = format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    );
    let (qos, qos_component) = QOS_CLASSES[usize::from(input.pod_form % 3)];
    let systemd = input.pod_form & 4 != 0;
    let root = (input.pod_form & 8 != 0).then_some("kubelet");
    let path = kubelet_pod_path(root, qos_component, &uid, systemd);
    let container = if input.pod_form & 16 != 0 {
        "/cri-containerd-".to_owned() + &hex(&input.id) + ".scope"
    } else {
        String::new()
    };
    let text = format!("1:name=systemd:/{before}{path}{container}\n");
    let got = identify(text.as_bytes())
        .pod
        .expect("the kubelet's naming is recognised");
    assert_eq!((got.uid.as_str(), got.qos), (uid.as_str(), qos), "{text}");
}

fuzz_target!(|raw: &[u8]| {
    check_any_input(raw);
    let Ok(input) = Input::arbitrary_take_rest(arbitrary::Unstructured::new(raw)) else {
        return;
    };
    // A prefix path without hex digits or newlines cannot name a container or a pod, so it
    // must not change the answer.
    let before: String = input
        .before
        .chars()
        .filter(|c| *c != '\n' && !c.is_ascii_hexdigit())
        .collect();
    let before = before.trim_start_matches('/');
    check_container_form(&input, before);
    check_pod_form(&input, before);
});
