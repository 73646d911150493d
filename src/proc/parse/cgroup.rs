//! `/proc/<pid>/cgroup`: which container, and which Kubernetes pod, a process runs in.
//!
//! Pure; never panics; no allocation (the container id borrows from the input, the pod UID
//! is copied into a 36-byte array). Each line is `hierarchy-ID:controllers:path` (cgroup
//! v1 has one per hierarchy, v2 the single `0::/path`).
//!
//! **Containers.** Runtimes put a 64-hex-digit container id into a path segment:
//! - Docker, cgroupfs driver: `/docker/<id>`; systemd driver: `docker-<id>.scope`
//! - containerd (CRI): `cri-containerd-<id>.scope`, or `/kubepods/…/pod<uid>/<id>`
//! - CRI-O: `crio-<id>.scope`, or `/kubepods/…/pod<uid>/crio-<id>`; its
//!   `crio-conmon-<id>[.scope]` is the monitor, not the container
//! - podman: `libpod-<id>.scope`, or `/libpod_parent/libpod-<id>` (`libpod-conmon-…` likewise)
//! - runc handed a systemd `slice:prefix:id` cgroups path while set to its cgroupfs driver
//!   (containerd with `SystemdCgroup = false` under a systemd-driver kubelet) makes the
//!   whole string one directory under its own cgroup:
//!   `/system.slice/containerd.service/kubepods-…-pod<uid>.slice:cri-containerd:<id>`
//!
//! **Pods.** The kubelet names a pod's cgroup `{cgroupRoot…, kubepods, qos, pod<uid>}`,
//! with no qos component for Guaranteed (pkg/kubelet/cm: `GetPodContainerName`,
//! `podCgroupNamePrefix`, the QoS class lowercased):
//! - cgroupfs driver: `/kubepods/burstable/pod<uid>/…`, `/kubepods/pod<uid>/…`
//! - systemd driver (`CgroupName.ToSystemd`): each component's `-` becomes `_`, components
//!   join with `-`, and every slice name spells its whole path:
//!   `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_>.slice/…`,
//!   `/kubepods.slice/kubepods-pod<uid_>.slice/…`; a cgroupRoot adds leading components
//!   (kind sets `/kubelet`: `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-…`).
//!
//! Only a UID of the API's own shape counts (36 bytes, lowercase hex in groups 8-4-4-4-12,
//! every separator the driver's): it is given back with dashes, as `kubectl get pod -o
//! jsonpath='{.metadata.uid}'` prints it. A static pod's cgroup carries a 32-hex hash of
//! its manifest instead, which is not the UID of its mirror pod in the API, so it gives no
//! pod.
//!
//! **Nesting.** The innermost container segment and the innermost pod segment win: a kind
//! or minikube node is itself a container, and the pod inside it is the one meant. The
//! first line that names a container gives the container, the first that names a pod the
//! pod. A process in a pod's cgroup but in none of its containers (a process moved into
//! the pod cgroup, or CRI-O's conmon in `crio-conmon-<id>.scope`, which CRI-O puts in the
//! pod's cgroup by default) gets the pod and no container: it belongs to that pod, but it
//! is no container's process.

use core::fmt;

/// The runtime whose naming gave the id away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    Docker,
    Containerd,
    Crio,
    Podman,
    /// A bare 64-hex segment under a parent that does not name its runtime (Kubernetes
    /// cgroupfs layout).
    Unknown,
}

impl Runtime {
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Docker => "docker",
            Runtime::Containerd => "containerd",
            Runtime::Crio => "cri-o",
            Runtime::Podman => "podman",
            Runtime::Unknown => "container",
        }
    }
}

/// Length of a full container id in hex digits.
pub(crate) const ID_LEN: usize = 64;

/// Length of a pod UID as the API prints it: 32 hex digits and 4 separators.
pub const POD_UID_LEN: usize = 36;

/// Where the separators of a pod UID sit (groups of 8-4-4-4-12 hex digits).
pub const POD_UID_SEPARATORS: [usize; 4] = [8, 13, 18, 23];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerId<'a> {
    pub runtime: Runtime,
    /// The 64 lowercase hex digits.
    pub id: &'a [u8],
}

/// A pod's QoS class, from the cgroup the kubelet put it in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qos {
    /// Directly under `kubepods`: no QoS cgroup of its own.
    Guaranteed,
    Burstable,
    BestEffort,
}

impl Qos {
    pub fn name(self) -> &'static str {
        match self {
            Qos::Guaranteed => "guaranteed",
            Qos::Burstable => "burstable",
            Qos::BestEffort => "besteffort",
        }
    }

    /// The class whose QoS cgroup component is `component` (Guaranteed has none).
    fn from_component(component: &[u8]) -> Option<Qos> {
        match component {
            b"burstable" => Some(Qos::Burstable),
            b"besteffort" => Some(Qos::BestEffort),
            _ => None,
        }
    }
}

/// A pod UID in the API's spelling: lowercase hex, dashes at [`POD_UID_SEPARATORS`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PodUid([u8; POD_UID_LEN]);

impl PodUid {
    /// Reads a UID whose groups are separated by `separator` (the cgroupfs driver keeps
    /// `-`, the systemd driver writes `_`), and spells it with dashes.
    fn parse(text: &[u8], separator: u8) -> Option<PodUid> {
        if text.len() != POD_UID_LEN {
            return None;
        }
        let mut uid = [0u8; POD_UID_LEN];
        for (at, (&b, out)) in text.iter().zip(uid.iter_mut()).enumerate() {
            *out = if POD_UID_SEPARATORS.contains(&at) {
                if b != separator {
                    return None;
                }
                b'-'
            } else if is_lower_hex(b) {
                b
            } else {
                return None;
            };
        }
        Some(PodUid(uid))
    }

    pub fn as_str(&self) -> &str {
        // Always ASCII: every byte was checked in `parse`.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The first group of eight hex digits, as a table shows it (enough to grep for).
    pub fn short(&self) -> &str {
        self.as_str().get(..8).unwrap_or_default()
    }

    pub fn as_bytes(&self) -> &[u8; POD_UID_LEN] {
        &self.0
    }
}

impl fmt::Debug for PodUid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PodUid({})", self.as_str())
    }
}

/// The Kubernetes pod a process runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pod {
    pub uid: PodUid,
    pub qos: Qos,
}

/// Everything one read of `/proc/<pid>/cgroup` says about where a process runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Identity<'a> {
    pub container: Option<ContainerId<'a>>,
    pub pod: Option<Pod>,
}

const SCOPED_PREFIXES: &[(&[u8], Runtime)] = &[
    (b"docker-", Runtime::Docker),
    (b"cri-containerd-", Runtime::Containerd),
    (b"crio-", Runtime::Crio),
    (b"libpod-", Runtime::Podman),
];

/// The kubelet's cgroup for all pods (`defaultNodeAllocatableCgroupName`).
const KUBEPODS: &[u8] = b"kubepods";
/// What the kubelet puts before a pod's UID (`podCgroupNamePrefix`).
const POD_PREFIX: &[u8] = b"pod";
const SLICE_SUFFIX: &[u8] = b".slice";
const SCOPE_SUFFIX: &[u8] = b".scope";
/// systemd's separator between slice levels; the kubelet escapes a `-` inside a
/// component as `_` (`escapeSystemdCgroupName`).
const SYSTEMD_LEVEL: u8 = b'-';
const SYSTEMD_UID_SEPARATOR: u8 = b'_';
const CGROUPFS_UID_SEPARATOR: u8 = b'-';
/// runc's systemd cgroups path is `slice:prefix:name`.
const RUNC_SYSTEMD_PATH_SEPARATOR: u8 = b':';

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

fn is_id(s: &[u8]) -> bool {
    s.len() == ID_LEN && s.iter().all(|&b| is_lower_hex(b))
}

/// The container id from one segment, given the segment before it.
fn segment_id<'a>(segment: &'a [u8], parent: &[u8]) -> Option<ContainerId<'a>> {
    if let Some(found) = runc_systemd_path_id(segment) {
        return Some(found);
    }
    let bare = segment.strip_suffix(SCOPE_SUFFIX).unwrap_or(segment);
    for &(prefix, runtime) in SCOPED_PREFIXES {
        if let Some(id) = bare.strip_prefix(prefix) {
            if is_id(id) {
                return Some(ContainerId { runtime, id });
            }
        }
    }
    if is_id(segment) {
        let runtime = match parent {
            b"docker" => Runtime::Docker,
            b"libpod_parent" => Runtime::Podman,
            b"containerd" | b"k8s.io" | b"moby" => Runtime::Containerd,
            _ => Runtime::Unknown,
        };
        return Some(ContainerId {
            runtime,
            id: segment,
        });
    }
    None
}

/// The id from `<slice>.slice:<prefix>:<id>`: runc's systemd cgroups path, made one
/// directory by a runc on its cgroupfs driver (see the module doc).
fn runc_systemd_path_id(segment: &[u8]) -> Option<ContainerId<'_>> {
    let mut parts = segment.splitn(3, |&b| b == RUNC_SYSTEMD_PATH_SEPARATOR);
    let (slice, prefix, id) = (parts.next()?, parts.next()?, parts.next()?);
    if !slice.ends_with(SLICE_SUFFIX) || !is_id(id) {
        return None;
    }
    SCOPED_PREFIXES
        .iter()
        .find(|(scoped, _)| scoped.strip_suffix(b"-") == Some(prefix))
        .map(|&(_, runtime)| ContainerId { runtime, id })
}

/// The pod a cgroupfs-driver segment names: `pod<uid>` right under `kubepods`
/// (Guaranteed) or under `kubepods/<qos>`.
fn cgroupfs_pod(segment: &[u8], parent: &[u8], grandparent: &[u8]) -> Option<Pod> {
    let uid = PodUid::parse(segment.strip_prefix(POD_PREFIX)?, CGROUPFS_UID_SEPARATOR)?;
    let qos = if parent == KUBEPODS {
        Qos::Guaranteed
    } else if grandparent == KUBEPODS {
        Qos::from_component(parent)?
    } else {
        return None;
    };
    Some(Pod { uid, qos })
}

/// The pod a systemd-driver slice names: `[<root>-]kubepods[-<qos>]-pod<uid_>.slice`.
/// The name spells its whole path, so no parent is needed; a `:` ends the slice (runc's
/// `slice:prefix:id` as a directory).
fn systemd_pod(segment: &[u8]) -> Option<Pod> {
    let slice = segment
        .split(|&b| b == RUNC_SYSTEMD_PATH_SEPARATOR)
        .next()?;
    let name = slice.strip_suffix(SLICE_SUFFIX)?;
    // Levels from the innermost: `pod<uid_>`, then `kubepods` or a QoS, then `kubepods`.
    let mut levels = name.rsplit(|&b| b == SYSTEMD_LEVEL);
    let own = levels.next()?;
    let uid = PodUid::parse(own.strip_prefix(POD_PREFIX)?, SYSTEMD_UID_SEPARATOR)?;
    let parent = levels.next()?;
    let qos = if parent == KUBEPODS {
        Qos::Guaranteed
    } else if levels.next()? == KUBEPODS {
        Qos::from_component(parent)?
    } else {
        return None;
    };
    Some(Pod { uid, qos })
}

/// The innermost container and the innermost pod that one cgroup path names.
fn path_identity(path: &[u8]) -> Identity<'_> {
    let mut found = Identity::default();
    let (mut parent, mut grandparent): (&[u8], &[u8]) = (&[], &[]);
    for segment in path.split(|&b| b == b'/') {
        let pod = systemd_pod(segment).or_else(|| cgroupfs_pod(segment, parent, grandparent));
        found.pod = pod.or(found.pod);
        found.container = segment_id(segment, parent).or(found.container);
        grandparent = parent;
        parent = segment;
    }
    found
}

/// The fields of one `hierarchy-ID:controllers:path` line; the path may itself hold `:`.
pub fn line_fields(line: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let mut parts = line.splitn(3, |&b| b == b':');
    Some((parts.next()?, parts.next()?, parts.next()?))
}

/// The path of one cgroup line.
fn line_path(line: &[u8]) -> Option<&[u8]> {
    line_fields(line).map(|(_, _, path)| path)
}

/// The container and the pod a process runs in, from its whole `/proc/<pid>/cgroup`, in
/// one pass. Both `None` for a host process.
pub fn identify(cgroup: &[u8]) -> Identity<'_> {
    let mut found = Identity::default();
    for line in cgroup.split(|&b| b == b'\n') {
        let Some(path) = line_path(line) else {
            continue;
        };
        let here = path_identity(path);
        found.container = found.container.or(here.container);
        found.pod = found.pod.or(here.pod);
        if found.container.is_some() && found.pod.is_some() {
            break;
        }
    }
    found
}

/// The container the process runs in, or `None` for a host process.
pub fn container_id(cgroup: &[u8]) -> Option<ContainerId<'_>> {
    identify(cgroup).container
}
#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "4f1e9c0c2b7d3a8e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7a8b9c0";
    const ID2: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn id_of(text: &str) -> Option<(Runtime, String)> {
        container_id(text.as_bytes())
            .map(|c| (c.runtime, String::from_utf8(c.id.to_vec()).unwrap()))
    }

    fn pod_of(text: &str) -> Option<(String, Qos)> {
        identify(text.as_bytes())
            .pod
            .map(|p| (p.uid.as_str().to_owned(), p.qos))
    }

    /// One captured (or, where said, composed) cgroup file and what it must give.
    struct Case {
        text: &'static str,
        container: Option<(Runtime, &'static str)>,
        pod: Option<(&'static str, Qos)>,
    }

    fn check(cases: &[Case]) {
        for case in cases {
            let got = identify(case.text.as_bytes());
            let want_container = case.container.map(|(r, id)| (r, id.to_owned()));
            assert_eq!(id_of(case.text), want_container, "{}", case.text);
            assert_eq!(got.container, container_id(case.text.as_bytes()));
            let want_pod = case.pod.map(|(uid, qos)| (uid.to_owned(), qos));
            assert_eq!(pod_of(case.text), want_pod, "{}", case.text);
        }
    }

    #[test]
    fn recognises_each_runtime_layout() {
        let cases: &[(String, Runtime)] = &[
            (format!("0::/system.slice/docker-{ID}.scope\n"), Runtime::Docker),
            (format!("12:memory:/docker/{ID}\n11:cpu:/docker/{ID}\n"), Runtime::Docker),
            (
                format!("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-{ID}.scope\n"),
                Runtime::Containerd,
            ),
            (format!("0::/kubepods/burstable/pod7f3c/{ID}\n"), Runtime::Unknown),
            (format!("0::/kubepods.slice/kubepods-pod9.slice/crio-{ID}.scope\n"), Runtime::Crio),
            (format!("0::/machine.slice/libpod-{ID}.scope/container\n"), Runtime::Podman),
            (format!("1:name=systemd:/libpod_parent/libpod-{ID}\n"), Runtime::Podman),
            (format!("0::/system.slice/docker-{ID}.scope/init.scope\n"), Runtime::Docker),
        ];
        for (text, runtime) in cases {
            assert_eq!(id_of(text), Some((*runtime, ID.to_owned())), "{text}");
        }
    }

    #[test]
    fn host_processes_and_monitors_have_no_container() {
        let cases = [
            "0::/\n".to_owned(),
            "0::/user.slice/user-1000.slice/session-2.scope\n".to_owned(),
            "4:memory:/process_api/a60d24b5fbd77a35b8429cfaf2c7048e\n0::/\n".to_owned(),
            format!("0::/machine.slice/libpod-conmon-{ID}.scope\n"),
            format!("0::/system.slice/crio-conmon-{ID}.scope\n"),
            format!("0::/docker/{}\n", &ID[..63]),
            format!("0::/docker/{}\n", ID.to_uppercase()),
            String::new(),
            "garbage without colons".to_owned(),
        ];
        for text in &cases {
            assert_eq!(id_of(text), None, "{text}");
        }
    }

    #[test]
    fn nested_container_names_the_inner_one() {
        let text = format!("0::/docker/{ID}/docker/{ID2}\n");
        assert_eq!(id_of(&text), Some((Runtime::Docker, ID2.to_owned())));
    }

    #[test]
    fn path_with_colons_and_no_trailing_newline() {
        let text = format!("0::/odd:dir/docker-{ID}.scope");
        assert_eq!(id_of(&text), Some((Runtime::Docker, ID.to_owned())));
    }

    // Real lines as kubelets and runtimes wrote them. Where the capture was a cgroupfs
    // directory or a systemd tree rather than the file itself, the line is that path with
    // the header the file gives it, and the comment says so.

    #[test]
    fn systemd_driver_pods_with_each_runtime() {
        check(&[
            // CRI-O, cgroup v1: opencontainers/runc#4620, `cat /proc/21689/cgroup` (first
            // three lines as posted; `11:files:/` is that kernel's extra controller).
            Case {
                text: "13:freezer:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-poda5c1f8d5_1919_434d_add7_4afaafdaef89.slice/crio-5eed917563583925ffdbd40a64efb2aaffe58638e57add8becaf460fe74f5b1c.scope\n12:cpuset:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-poda5c1f8d5_1919_434d_add7_4afaafdaef89.slice/crio-5eed917563583925ffdbd40a64efb2aaffe58638e57add8becaf460fe74f5b1c.scope\n11:files:/\n",
                container: Some((Runtime::Crio, "5eed917563583925ffdbd40a64efb2aaffe58638e57add8becaf460fe74f5b1c")),
                pod: Some(("a5c1f8d5-1919-434d-add7-4afaafdaef89", Qos::Burstable)),
            },
            // containerd: the systemd-cgls tree of netdata/netdata#4868, as the v2 line.
            Case {
                text: "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod03f3f104_3215_44f2_9686_d4dd1f05a7ed.slice/cri-containerd-09d185410c4e25236cc24717f881589bb0978b24eafd101624e627a4dd8d3439.scope\n",
                container: Some((Runtime::Containerd, "09d185410c4e25236cc24717f881589bb0978b24eafd101624e627a4dd8d3439")),
                pod: Some(("03f3f104-3215-44f2-9686-d4dd1f05a7ed", Qos::Burstable)),
            },
            // Docker (dockershim), v1, a version-1 (time-based) UUID: kube-proxy in the
            // systemd-cgls tree of kontena/pharos-cluster#440, as the name=systemd line.
            Case {
                text: "1:name=systemd:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod9692aa0e_748e_11e8_8dfa_76d458035df6.slice/docker-abddff03dfd7710c79a750ce3e730365cbb2c8247a974170c1062683bc3e9152.scope\n",
                container: Some((Runtime::Docker, "abddff03dfd7710c79a750ce3e730365cbb2c8247a974170c1062683bc3e9152")),
                pod: Some(("9692aa0e-748e-11e8-8dfa-76d458035df6", Qos::BestEffort)),
            },
            // Its /pause: the sandbox is a container of the pod like any other.
            Case {
                text: "1:name=systemd:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod9692aa0e_748e_11e8_8dfa_76d458035df6.slice/docker-f58c1c55e72c336d11c6af795260b57f7597d62e4d16951086f754d2e9ce5114.scope\n",
                container: Some((Runtime::Docker, "f58c1c55e72c336d11c6af795260b57f7597d62e4d16951086f754d2e9ce5114")),
                pod: Some(("9692aa0e-748e-11e8-8dfa-76d458035df6", Qos::BestEffort)),
            },
            // Guaranteed: composed. The shape is kubelet's ToSystemd of {kubepods,
            // pod<uid>} (no QoS level), as CJLove/rt-operator's notes show it for CRI-O;
            // uid from AliyunContainerService/terway-qos#20, id from minikube#11280.
            Case {
                text: "0::/kubepods.slice/kubepods-pod501f2ad2_a58b_4fb2_8f08_5a99a73e37e2.slice/crio-89e8f450417b56acf3089925dfd8f050dd50e950e18cfe83ea923269df601102.scope\n",
                container: Some((Runtime::Crio, "89e8f450417b56acf3089925dfd8f050dd50e950e18cfe83ea923269df601102")),
                pod: Some(("501f2ad2-a58b-4fb2-8f08-5a99a73e37e2", Qos::Guaranteed)),
            },
        ]);
    }

    #[test]
    fn cgroupfs_driver_pods_with_each_runtime() {
        check(&[
            // containerd on k3s, cgroup v2: rancher/k3k#792, `cat /proc/142989/cgroup`.
            Case {
                text: "0::/kubepods/burstable/pod404bd273-57bc-4508-a386-e2b76d3c9cfe/3aaaa76f09e1de6bb75e84f9c15b737a2d590f69757953e3ec262bd5861dc15b\n",
                container: Some((Runtime::Unknown, "3aaaa76f09e1de6bb75e84f9c15b737a2d590f69757953e3ec262bd5861dc15b")),
                pod: Some(("404bd273-57bc-4508-a386-e2b76d3c9cfe", Qos::Burstable)),
            },
            // cgroup v1: the name=systemd mount root in containers/crun#729's mountinfo.
            Case {
                text: "1:name=systemd:/kubepods/besteffort/pod85401dd3-38cd-47b6-a90a-e16c0e1c06e6/dbc9f149296cec5d12b78385eb5b2c0cfe20b476f117c15c76d981cff44053c1\n",
                container: Some((Runtime::Unknown, "dbc9f149296cec5d12b78385eb5b2c0cfe20b476f117c15c76d981cff44053c1")),
                pod: Some(("85401dd3-38cd-47b6-a90a-e16c0e1c06e6", Qos::BestEffort)),
            },
            // CRI-O (`crio-<id>`, no .scope on cgroupfs): the cpu-controller directory of
            // cri-o/cri-o#5511, as its line.
            Case {
                text: "4:cpu,cpuacct:/kubepods/burstable/pod44e2e33e-776b-4284-a647-4bd959899c91/crio-dc4b5f11a034ac50f4bf7a0f2396fce881f58dcb5b2fa5f0f74d5c2ad924c083\n",
                container: Some((Runtime::Crio, "dc4b5f11a034ac50f4bf7a0f2396fce881f58dcb5b2fa5f0f74d5c2ad924c083")),
                pod: Some(("44e2e33e-776b-4284-a647-4bd959899c91", Qos::Burstable)),
            },
            // Guaranteed, directly under kubepods: pod directory from terway-qos#20; the
            // container directory is containerd's filepath.Join(parent, id), id from
            // kubernetes/kubernetes#81728 (a Guaranteed pod's container). Composed.
            Case {
                text: "4:cpu,cpuacct:/kubepods/pod04efb3b8-31e7-4724-aa8a-c43d749cd33f/6c7467c08cc4f97496703a939bcf9bd23e54a5064bdd871b103c19177784bf0b\n",
                container: Some((Runtime::Unknown, "6c7467c08cc4f97496703a939bcf9bd23e54a5064bdd871b103c19177784bf0b")),
                pod: Some(("04efb3b8-31e7-4724-aa8a-c43d749cd33f", Qos::Guaranteed)),
            },
        ]);
    }

    #[test]
    fn conmon_and_pod_level_processes_have_the_pod_and_no_container() {
        check(&[
            // CRI-O puts conmon in the pod's cgroup by default (conmon_cgroup = "pod"):
            // `systemctl status crio-conmon-…` in opencontainers/runc#4620, v1 host.
            Case {
                text: "1:name=systemd:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod207aaad1_659f_4db8_88e0_46e0cdcc3004.slice/crio-conmon-32da98c8522068be05a7510a3eddb09cad6ed2f03286180d0e931d0d0b6224a6.scope\n",
                container: None,
                pod: Some(("207aaad1-659f-4db8-88e0-46e0cdcc3004", Qos::Burstable)),
            },
            // The same on cgroupfs: `crio-conmon-<id>`, cri-o/cri-o#5511.
            Case {
                text: "4:cpu,cpuacct:/kubepods/burstable/pod44e2e33e-776b-4284-a647-4bd959899c91/crio-conmon-dc4b5f11a034ac50f4bf7a0f2396fce881f58dcb5b2fa5f0f74d5c2ad924c083\n",
                container: None,
                pod: Some(("44e2e33e-776b-4284-a647-4bd959899c91", Qos::Burstable)),
            },
            // conmon_cgroup = "system.slice": no pod either. istio/istio#55139.
            Case {
                text: "13:hugetlb:/\n0::/system.slice/crio-conmon-c055fa05e5c1c20cc4ef3e2ebd180ab360b5369538c9b7cd536b3e6c58311b39.scope\n",
                container: None,
                pod: None,
            },
            // A process in the pod slice itself (k3k#792 moves its k3s server there; the
            // capture is cut after `.sli`, so the rest is kubelet's slice name).
            Case {
                text: "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod33baea74_f206_4f95_9893_c56282acda4e.slice\n",
                container: None,
                pod: Some(("33baea74-f206-4f95-9893-c56282acda4e", Qos::Burstable)),
            },
            // The cgroupfs pod directory itself (crun#729's pod, composed).
            Case {
                text: "0::/kubepods/besteffort/pod85401dd3-38cd-47b6-a90a-e16c0e1c06e6\n",
                container: None,
                pod: Some(("85401dd3-38cd-47b6-a90a-e16c0e1c06e6", Qos::BestEffort)),
            },
        ]);
    }

    #[test]
    fn runc_on_cgroupfs_under_a_systemd_kubelet_names_container_and_pod() {
        check(&[
            // containerd with SystemdCgroup = false: open-telemetry/opentelemetry-java#4507,
            // `cat /proc/self/cgroup` (first four lines as posted).
            Case {
                text: "11:perf_event:/kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice:cri-containerd:ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459\n10:blkio:/system.slice/containerd.service/kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice:cri-containerd:ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459\n9:cpuacct,cpu:/system.slice/containerd.service/kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice:cri-containerd:ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459\n8:cpuset:/kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice:cri-containerd:ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459\n",
                container: Some((Runtime::Containerd, "ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459")),
                pod: Some(("0125ec2f-b64a-4868-8f5b-94b56cbab864", Qos::BestEffort)),
            },
            // elastic/apm-agent-nodejs#3550.
            Case {
                text: "1:name=systemd:/system.slice/containerd.service/kubepods-burstable-podff49d0be_16b7_4a49_bb9e_8ec1f1f4e27f.slice:cri-containerd:0f99ad5f45163ed14ab8eaf92ed34bb4a631d007f8755a7d79be614bcb0df0ef\n",
                container: Some((Runtime::Containerd, "0f99ad5f45163ed14ab8eaf92ed34bb4a631d007f8755a7d79be614bcb0df0ef")),
                pod: Some(("ff49d0be-16b7-4a49-bb9e-8ec1f1f4e27f", Qos::Burstable)),
            },
        ]);
    }

    #[test]
    fn pods_inside_kind_and_minikube_nodes() {
        check(&[
            // kind (cgroupRoot /kubelet), seen inside the node: containerd/nri#227 logs the
            // absolute path under /sys/fs/cgroup; kind#3947 shows the same `0::/kubelet.sl…`.
            Case {
                text: "0::/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod1e597579_417e_482f_bf65_5fe170c3aebd.slice/cri-containerd-a09bc17f5aa29b0dbdec9ede5f46cf1396d2405917ab02e6f1eb1019f388396e.scope\n",
                container: Some((Runtime::Containerd, "a09bc17f5aa29b0dbdec9ede5f46cf1396d2405917ab02e6f1eb1019f388396e")),
                pod: Some(("1e597579-417e-482f-bf65-5fe170c3aebd", Qos::BestEffort)),
            },
            // The same pod seen from the host, where the node is Docker's scope (composed:
            // the node's id is made up). The innermost container is the pod's.
            Case {
                text: "0::/system.slice/docker-4f1e9c0c2b7d3a8e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7a8b9c0.scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod1e597579_417e_482f_bf65_5fe170c3aebd.slice/cri-containerd-a09bc17f5aa29b0dbdec9ede5f46cf1396d2405917ab02e6f1eb1019f388396e.scope\n",
                container: Some((Runtime::Containerd, "a09bc17f5aa29b0dbdec9ede5f46cf1396d2405917ab02e6f1eb1019f388396e")),
                pod: Some(("1e597579-417e-482f-bf65-5fe170c3aebd", Qos::BestEffort)),
            },
            // minikube's docker driver running CRI-O: `systemctl status kubepods.slice` in
            // kubernetes/minikube#11280 (kube-proxy), as the name=systemd line.
            Case {
                text: "1:name=systemd:/docker/d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod2ca4a155_3599_498d_bb9d_4446693fa3ea.slice/crio-358607a37e7ada357032e7f5729c9ae6a3efdb7962acbcbe47ff6a3c5506cb1c.scope\n",
                container: Some((Runtime::Crio, "358607a37e7ada357032e7f5729c9ae6a3efdb7962acbcbe47ff6a3c5506cb1c")),
                pod: Some(("2ca4a155-3599-498d-bb9d-4446693fa3ea", Qos::BestEffort)),
            },
        ]);
    }

    #[test]
    fn static_pods_carry_a_manifest_hash_not_a_uid() {
        // netdata/netdata#4868: a kubeadm control-plane pod's slice, 32 hex digits.
        check(&[Case {
            text: "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod187bff14cccb94f179e943eacce55bb3.slice/cri-containerd-c203a2647ef1ad78e990157c50331f3b6ef0b03336cf08535d6bf7faa5421415.scope\n",
            container: Some((Runtime::Containerd, "c203a2647ef1ad78e990157c50331f3b6ef0b03336cf08535d6bf7faa5421415")),
            pod: None,
        }]);
    }

    #[test]
    fn malformed_pod_segments_give_no_pod() {
        const UID: &str = "404bd273-57bc-4508-a386-e2b76d3c9cfe";
        let systemd_uid = UID.replace('-', "_");
        let cases = [
            // Length: 35 and 37.
            format!("0::/kubepods/burstable/pod{}/{ID}\n", &UID[..35]),
            format!("0::/kubepods/burstable/pod{UID}0/{ID}\n"),
            format!("0::/kubepods.slice/kubepods-burstable-pod{}.slice\n", &systemd_uid[..35]),
            format!("0::/kubepods.slice/kubepods-burstable-pod{systemd_uid}0.slice\n"),
            // Uppercase hex.
            format!("0::/kubepods/burstable/pod{}/{ID}\n", UID.to_uppercase()),
            format!("0::/kubepods.slice/kubepods-pod{}.slice\n", systemd_uid.to_uppercase()),
            // Mixed separators, and each driver's spelling in the other's place.
            "0::/kubepods/burstable/pod404bd273_57bc-4508-a386-e2b76d3c9cfe\n".to_owned(),
            "0::/kubepods.slice/kubepods-burstable-pod404bd273_57bc_4508-a386_e2b76d3c9cfe.slice\n".to_owned(),
            format!("0::/kubepods/burstable/pod{systemd_uid}\n"),
            format!("0::/kubepods.slice/kubepods-burstable-pod{UID}.slice\n"),
            // 36 bytes but not 8-4-4-4-12, or not hex.
            "0::/kubepods/burstable/pod404bd2735-7bc-4508-a386-e2b76d3c9cfe\n".to_owned(),
            "0::/kubepods/burstable/pod404bd27357bc4508a386e2b76d3c9cfe----\n".to_owned(),
            "0::/kubepods/burstable/pod404bd273-57bc-4508-a386-e2b76d3c9cfg\n".to_owned(),
            // `pod` as the start of another word.
            "0::/system.slice/podman-1234.scope\n".to_owned(),
            "0::/kubepods/burstable/podcast\n".to_owned(),
            format!("0::/kubepods/burstable/pods{UID}\n"),
            "0::/kubepods.slice/kubepods-burstable-podium.slice\n".to_owned(),
            format!("0::/kubepods.slice/kubepods-burstable-xpod{systemd_uid}.slice\n"),
            // Not where the kubelet puts pods.
            format!("0::/machine/burstable/pod{UID}\n"),
            format!("0::/kubepods/extra/burstable/pod{UID}\n"),
            format!("0::/kubepods/guaranteed/pod{UID}\n"),
            format!("0::/pod{UID}\n"),
            format!("0::/kubepods.slice/notkubepods-burstable-pod{systemd_uid}.slice\n"),
            format!("0::/kubepods.slice/kubepods-Burstable-pod{systemd_uid}.slice\n"),
            format!("0::/kubepods.slice/kubepods-guaranteed-pod{systemd_uid}.slice\n"),
            format!("0::/kubepods.slice/burstable-pod{systemd_uid}.slice\n"),
            format!("0::/kubepods.slice/kubepods-pod{systemd_uid}.scope\n"),
            format!("0::/kubepods.slice/pod{systemd_uid}.slice\n"),
            // No header: not a cgroup line at all.
            format!("/kubepods/burstable/pod{UID}\n"),
            "0::/kubepods.slice/kubepods-pod.slice\n".to_owned(),
        ];
        for text in &cases {
            assert_eq!(pod_of(text), None, "{text}");
        }
    }

    #[test]
    fn nested_pods_name_the_inner_one() {
        const OUTER: &str = "404bd273-57bc-4508-a386-e2b76d3c9cfe";
        const INNER: &str = "85401dd3-38cd-47b6-a90a-e16c0e1c06e6";
        // A cluster inside a pod (composed), cgroupfs in cgroupfs ...
        let text = format!("0::/kubepods/burstable/pod{OUTER}/{ID}/kubepods/besteffort/pod{INNER}/{ID2}\n");
        assert_eq!(pod_of(&text), Some((INNER.to_owned(), Qos::BestEffort)));
        assert_eq!(id_of(&text), Some((Runtime::Unknown, ID2.to_owned())));
        // ... and a cgroupfs kubelet inside a systemd-driver pod.
        let outer_slice = OUTER.replace('-', "_");
        let text = format!(
            "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{outer_slice}.slice/cri-containerd-{ID}.scope/kubepods/pod{INNER}/{ID2}\n"
        );
        assert_eq!(pod_of(&text), Some((INNER.to_owned(), Qos::Guaranteed)));
        assert_eq!(id_of(&text), Some((Runtime::Unknown, ID2.to_owned())));
    }

    #[test]
    fn first_line_naming_a_pod_gives_the_pod() {
        const FIRST: &str = "404bd273-57bc-4508-a386-e2b76d3c9cfe";
        const SECOND: &str = "85401dd3-38cd-47b6-a90a-e16c0e1c06e6";
        let text = format!(
            "2:cpu:/\n1:name=systemd:/kubepods/pod{FIRST}\n0::/kubepods/besteffort/pod{SECOND}/{ID}\n"
        );
        let got = identify(text.as_bytes());
        assert_eq!(got.pod.map(|p| p.uid.as_str().to_owned()), Some(FIRST.to_owned()));
        assert_eq!(got.pod.map(|p| p.qos), Some(Qos::Guaranteed));
        // The container still comes from the first line that names one.
        assert_eq!(got.container.map(|c| c.id), Some(ID.as_bytes()));
    }

    #[test]
    fn identity_values_print_as_the_api_does() {
        let pod = identify(b"0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1c6b5a2e_4b8d_4f5e_9a1b_0c2d3e4f5a6b.slice\n")
            .pod
            .unwrap();
        assert_eq!(pod.uid.as_str(), "1c6b5a2e-4b8d-4f5e-9a1b-0c2d3e4f5a6b");
        assert_eq!(pod.uid.as_bytes().len(), POD_UID_LEN);
        assert_eq!(format!("{:?}", pod.uid), "PodUid(1c6b5a2e-4b8d-4f5e-9a1b-0c2d3e4f5a6b)");
        let names = [Qos::Guaranteed, Qos::Burstable, Qos::BestEffort].map(Qos::name);
        assert_eq!(names, ["guaranteed", "burstable", "besteffort"]);
        assert_eq!(identify(b"0::/\n"), Identity::default());
    }
}
