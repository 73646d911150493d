//! The kubelet's pod log directory names: `<namespace>_<pod-name>_<pod-uid>`, one
//! directory per pod under `/var/log/pods` (pkg/kubelet/kuberuntime/helpers.go,
//! `BuildPodLogsDirectory`: the three joined with `_`). Listing that directory maps the
//! pod UID that [`super::cgroup`] reads from a process's cgroup to the pod's namespace and
//! name, with no API server.
//!
//! Pure; never panics; no allocation (the parts borrow from the entry name). A name
//! counts only when all three parts have the API's shape, so `_` can only be the
//! separator:
//! - the namespace is a DNS-1123 label: 1 to 63 of `[a-z0-9-]`, starting and ending
//!   with a letter or digit;
//! - the pod name is a DNS-1123 subdomain: 1 to 253 bytes, dot-separated labels as above
//!   but for their length (apimachinery's `IsDNS1123Subdomain` caps only the whole);
//! - the UID is the API's 36-byte form (lowercase hex in groups 8-4-4-4-12, dashes at
//!   [`POD_UID_SEPARATORS`]): the form [`PodUid`] gives back whatever the cgroup driver
//!   wrote (the systemd driver's `_` is already a `-` there), so [`PodDir::is_pod`]
//!   compares bytes. A static pod's directory carries a 32-hex manifest hash instead;
//!   its cgroup does too, and neither names a pod here.
//!
//! Anything else (`.`, `..`, a stray file, a name with more or fewer than three parts, an
//! upper-case letter, non-UTF-8 bytes) is `None`, and the caller skips the entry;
//! [`find`] does the skipping over a whole listing.

use super::cgroup::{PodUid, POD_UID_LEN, POD_UID_SEPARATORS};

/// The longest namespace (a DNS-1123 label).
pub const NAMESPACE_MAX: usize = 63;
/// The longest pod name (a DNS-1123 subdomain).
pub const POD_NAME_MAX: usize = 253;
/// What the kubelet joins the three parts with.
const SEPARATOR: u8 = b'_';

/// One pod directory's name, split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodDir<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    /// The UID as the API prints it, dashes included.
    pub uid: &'a str,
}

impl PodDir<'_> {
    /// Whether this directory is the pod whose cgroup gave `uid`.
    pub fn is_pod(&self, uid: &PodUid) -> bool {
        self.uid.as_bytes() == uid.as_bytes()
    }
}

/// The namespace and name copied out of a directory listing, to keep past the
/// listing's buffer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodNames {
    pub namespace: heapless::String<NAMESPACE_MAX>,
    pub name: heapless::String<POD_NAME_MAX>,
}

impl From<PodDir<'_>> for PodNames {
    fn from(dir: PodDir<'_>) -> Self {
        // Both fit: `parse` checked their lengths.
        let mut names = PodNames::default();
        let _ = names.namespace.push_str(dir.namespace);
        let _ = names.name.push_str(dir.name);
        names
    }
}

fn is_label_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
}

fn is_alnum(b: Option<&u8>) -> bool {
    b.is_some_and(|&b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// A DNS-1123 label of at most `max` bytes.
pub fn is_dns_label(s: &[u8], max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.iter().all(|&b| is_label_byte(b))
        && is_alnum(s.first())
        && is_alnum(s.last())
}

/// A DNS-1123 subdomain: labels joined by `.`, at most [`POD_NAME_MAX`] bytes in all.
pub fn is_dns_subdomain(s: &[u8]) -> bool {
    s.len() <= POD_NAME_MAX
        && s.split(|&b| b == b'.')
            .all(|label| is_dns_label(label, POD_NAME_MAX))
}

/// A UID in the API's spelling.
pub fn is_api_uid(s: &[u8]) -> bool {
    s.len() == POD_UID_LEN
        && s.iter().enumerate().all(|(at, &b)| {
            if POD_UID_SEPARATORS.contains(&at) {
                b == b'-'
            } else {
                b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
            }
        })
}

/// Splits a directory entry name; `None` unless it is a pod's.
pub fn parse(entry: &[u8]) -> Option<PodDir<'_>> {
    let mut parts = entry.split(|&b| b == SEPARATOR);
    let (namespace, name, uid) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || !is_dns_label(namespace, NAMESPACE_MAX)
        || !is_dns_subdomain(name)
        || !is_api_uid(uid)
    {
        return None;
    }
    // All three are ASCII now.
    Some(PodDir {
        namespace: core::str::from_utf8(namespace).ok()?,
        name: core::str::from_utf8(name).ok()?,
        uid: core::str::from_utf8(uid).ok()?,
    })
}

/// The directory of the pod whose cgroup gave `uid`, among a listing's entry names
/// (anything that is not a pod directory is skipped); `None` when it has none (a pod
/// gone, a static pod, a listing of some other directory).
pub fn find<'a, I>(entries: I, uid: &PodUid) -> Option<PodDir<'a>>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    entries
        .into_iter()
        .filter_map(parse)
        .find(|dir| dir.is_pod(uid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proc::parse::cgroup::identify;

    // Shaped as `ls /var/log/pods` lists them (made up here: no cluster on the build host).
    const CI_JOB: &[u8] = b"ci_merge-gate-7f9c4-x2kqz_2f1e3c4d-5b6a-4789-9abc-def012345678";
    const DOTTED: &[u8] = b"kube-system_coredns-5d78c9869d-abcde.node-1_0b8e4c1a-3f2d-4e5f-8a9b-0c1d2e3f4a5b";
    // A static pod: its UID is the manifest's hash, 32 hex digits.
    const STATIC: &[u8] = b"kube-system_etcd-kind-control-plane_6f4cbf3a3bd0a9d7d2f4c8d1e0b7a6c5";

    #[test]
    fn splits_pod_directories_into_namespace_name_and_uid() {
        assert_eq!(
            parse(CI_JOB),
            Some(PodDir {
                namespace: "ci",
                name: "merge-gate-7f9c4-x2kqz",
                uid: "2f1e3c4d-5b6a-4789-9abc-def012345678"
            })
        );
        let dotted = parse(DOTTED).unwrap();
        assert_eq!(
            (dotted.namespace, dotted.name),
            ("kube-system", "coredns-5d78c9869d-abcde.node-1")
        );
        assert_eq!(parse(STATIC), None, "a static pod names no pod");
    }

    #[test]
    fn matches_the_uid_that_either_cgroup_driver_gave() {
        let dir = parse(CI_JOB).unwrap();
        let systemd = b"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2f1e3c4d_5b6a_4789_9abc_def012345678.slice/cri-containerd-0000000000000000000000000000000000000000000000000000000000000000.scope\n";
        let cgroupfs = b"0::/kubepods/besteffort/pod2f1e3c4d-5b6a-4789-9abc-def012345678/0000000000000000000000000000000000000000000000000000000000000000\n";
        let other = b"0::/kubepods/pod2f1e3c4d-5b6a-4789-9abc-def012345679/\n";
        for cgroup in [&systemd[..], &cgroupfs[..]] {
            let uid = identify(cgroup).pod.unwrap().uid;
            assert!(dir.is_pod(&uid), "{}", String::from_utf8_lossy(cgroup));
        }
        let other_uid = identify(other).pod.unwrap().uid;
        assert!(!dir.is_pod(&other_uid));
        let listing: [&[u8]; 5] = [b".", b"..", STATIC, DOTTED, CI_JOB];
        let uid = identify(cgroupfs).pod.unwrap().uid;
        assert_eq!(find(listing, &uid), Some(dir));
        assert_eq!(find(listing, &other_uid), None, "a UID with no directory");
        let names = PodNames::from(dir);
        assert_eq!(
            (names.namespace.as_str(), names.name.as_str()),
            ("ci", "merge-gate-7f9c4-x2kqz")
        );
    }

    #[test]
    fn odd_names_are_none() {
        let uid = "2f1e3c4d-5b6a-4789-9abc-def012345678";
        let long_ns = "a".repeat(64);
        let long_name = ["c".repeat(63), "c".repeat(63), "c".repeat(63), "c".repeat(62)].join(".");
        let cases: Vec<String> = vec![
            String::new(),
            ".".into(),
            "..".into(),
            "ci".into(),
            format!("ci_{uid}"),
            format!("ci_pod_{uid}_x"),
            format!("ci_pod_x_{uid}"),
            format!("_pod_{uid}"),
            format!("ci__{uid}"),
            format!("Ci_pod_{uid}"),
            format!("ci_Pod_{uid}"),
            format!("-ci_pod_{uid}"),
            format!("ci-_pod_{uid}"),
            format!("ci_pod-_{uid}"),
            format!("ci_.pod_{uid}"),
            format!("ci_pod..a_{uid}"),
            format!("c.i_pod_{uid}"),
            format!("{long_ns}_pod_{uid}"),
            format!("ci_{long_name}_{uid}"),
            "ci_pod_2F1E3C4D-5B6A-4789-9ABC-DEF012345678".into(),
            "ci_pod_2f1e3c4d_5b6a_4789_9abc_def012345678".into(),
            "ci_pod_2f1e3c4d-5b6a-4789-9abc-def01234567".into(),
            "ci_pod_2f1e3c4d-5b6a-4789-9abc-def0123456789".into(),
            "ci_pod_2f1e3c4d5-b6a-4789-9abc-def012345678".into(),
            "ci_pod_2f1e3c4g-5b6a-4789-9abc-def012345678".into(),
        ];
        for name in &cases {
            assert_eq!(parse(name.as_bytes()), None, "{name:?}");
        }
        assert_eq!(parse(b"ci_p\xffd_2f1e3c4d-5b6a-4789-9abc-def012345678"), None);
        // The longest legal parts are accepted; a pod name's label may pass 63 bytes.
        let longest = format!("{}_{}_{uid}", "a".repeat(63), &long_name[1..]);
        assert!(parse(longest.as_bytes()).is_some());
        let long_label = format!("ci_{}_{uid}", "b".repeat(200));
        assert!(parse(long_label.as_bytes()).is_some());
    }

    #[test]
    fn name_cut_at_every_byte_never_panics() {
        for n in 0..DOTTED.len() {
            let _ = parse(&DOTTED[..n]);
        }
    }
}
