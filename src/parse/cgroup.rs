//! `/proc/<pid>/cgroup`: which container a process runs in.
//!
//! Pure; never panics; no allocation. Each line is `hierarchy-ID:controllers:path`
//! (cgroup v1 has one per hierarchy, v2 the single `0::/path`). Container runtimes put a
//! 64-hex-digit container id into a path segment, in one of these forms:
//! - Docker, cgroupfs driver: `/docker/<id>`; systemd driver: `docker-<id>.scope`
//! - containerd (CRI): `cri-containerd-<id>.scope`, or `/kubepods/…/pod<uid>/<id>`
//! - CRI-O: `crio-<id>.scope` (its `crio-conmon-<id>.scope` is the monitor, not the container)
//! - podman: `libpod-<id>.scope`, or `/libpod_parent/libpod-<id>` (`libpod-conmon-…` likewise)
//!
//! The innermost such segment wins (a container nested in another names the inner one).

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
pub const ID_LEN: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerId<'a> {
    pub runtime: Runtime,
    /// The 64 lowercase hex digits.
    pub id: &'a [u8],
}

const SCOPED_PREFIXES: &[(&[u8], Runtime)] = &[
    (b"docker-", Runtime::Docker),
    (b"cri-containerd-", Runtime::Containerd),
    (b"crio-", Runtime::Crio),
    (b"libpod-", Runtime::Podman),
];

fn is_id(s: &[u8]) -> bool {
    s.len() == ID_LEN
        && s.iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// The container id from one segment, given the segment before it.
fn segment_id<'a>(segment: &'a [u8], parent: &[u8]) -> Option<ContainerId<'a>> {
    let bare = segment.strip_suffix(b".scope").unwrap_or(segment);
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

/// The container the process runs in, or `None` for a host process.
pub fn container_id(cgroup: &[u8]) -> Option<ContainerId<'_>> {
    for line in cgroup.split(|&b| b == b'\n') {
        // Skip `hierarchy-ID:controllers:`; the path may itself hold ':'.
        let mut parts = line.splitn(3, |&b| b == b':');
        let (Some(_), Some(_), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let mut found = None;
        let mut parent: &[u8] = &[];
        for segment in path.split(|&b| b == b'/') {
            if let Some(id) = segment_id(segment, parent) {
                found = Some(id);
            }
            parent = segment;
        }
        if found.is_some() {
            return found;
        }
    }
    None
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
}
