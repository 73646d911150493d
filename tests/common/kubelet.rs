//! Cgroup paths as the kubelet names pods, for the property tests
//! (`tests/prop_parsers.rs`) and the cgroup fuzz target, which include this file.

use lingerwatch::proc::parse::cgroup::Qos;

/// Each QoS class with the path component the kubelet gives it (none for Guaranteed).
pub const QOS_CLASSES: [(Qos, Option<&str>); 3] = [
    (Qos::Guaranteed, None),
    (Qos::Burstable, Some("burstable")),
    (Qos::BestEffort, Some("besteffort")),
];

/// The pod's path as the kubelet names it (pkg/kubelet/cm): components {root, kubepods,
/// qos, pod<uid>}; systemd escapes `-` as `_` and spells each slice's whole path.
pub fn kubelet_pod_path(root: Option<&str>, qos: Option<&str>, uid: &str, systemd: bool) -> String {
    let pod = format!("pod{uid}");
    let components: Vec<&str> = root
        .into_iter()
        .chain(["kubepods"])
        .chain(qos)
        .chain([pod.as_str()])
        .collect();
    if !systemd {
        return format!("/{}", components.join("/"));
    }
    let escaped: Vec<String> = components.iter().map(|c| c.replace('-', "_")).collect();
    (1..=escaped.len())
        .map(|n| format!("/{}.slice", escaped[..n].join("-")))
        .collect()
}
