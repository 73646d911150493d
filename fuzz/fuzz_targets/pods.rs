//! Kubelet pod log directory names: any bytes split as the naive reading
//! (tests/common/naive.rs) splits them; parts borrowed from the input join back into it;
//! a name built from a valid namespace, pod name and UID gives them back, and matches the
//! UID that a cgroup line of either driver gives.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use lingerwatch::proc::parse::cgroup::identify;
use lingerwatch::proc::parse::pods::parse;

#[path = "../../tests/common/naive.rs"]
mod naive;

#[derive(Arbitrary, Debug)]
struct Input {
    ns: Vec<u8>,
    name: Vec<u8>,
    uid: [u8; 16],
    systemd: bool,
}

/// Bytes mapped onto a DNS label's alphabet, starting and ending with a letter.
fn label(raw: &[u8], max: usize, dots: bool) -> String {
    let alphabet: &[u8] = if dots { b"abz09-." } else { b"abz09-" };
    let mut s: Vec<u8> = raw
        .iter()
        .take(max)
        .map(|b| alphabet[usize::from(*b) % alphabet.len()])
        .collect();
    s.insert(0, b'a');
    if s.len() > max {
        s.truncate(max);
    }
    let last = s.len() - 1;
    s[last] = b'z';
    let mut s = String::from_utf8(s).unwrap();
    while s.contains("..") || s.contains(".-") || s.contains("-.") {
        s = s
            .replace("..", ".a")
            .replace(".-", ".a")
            .replace("-.", "a.");
    }
    s
}

fuzz_target!(|raw: &[u8]| {
    let got = parse(raw);
    let owned = got.map(|d| (d.namespace.to_owned(), d.name.to_owned(), d.uid.to_owned()));
    assert_eq!(owned, naive::pod_dir(raw));
    if let Some(d) = got {
        assert_eq!(
            format!("{}_{}_{}", d.namespace, d.name, d.uid).as_bytes(),
            raw
        );
    }
    let Ok(input) = Input::arbitrary_take_rest(arbitrary::Unstructured::new(raw)) else {
        return;
    };
    let (ns, name) = (label(&input.ns, 63, false), label(&input.name, 253, true));
    let h: String = input.uid.iter().map(|b| format!("{b:02x}")).collect();
    let uid = format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    );
    let entry = format!("{ns}_{name}_{uid}");
    let d = parse(entry.as_bytes()).expect("a valid entry parses");
    assert_eq!(
        (d.namespace, d.name, d.uid),
        (ns.as_str(), name.as_str(), uid.as_str())
    );
    let cgroup = if input.systemd {
        let u = uid.replace('-', "_");
        format!("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{u}.slice/\n")
    } else {
        format!("0::/kubepods/burstable/pod{uid}/\n")
    };
    let pod = identify(cgroup.as_bytes())
        .pod
        .expect("the kubelet's naming");
    assert!(d.is_pod(&pod.uid));
});
