//! The memory a container of lingerwatch really needs, and whether its limit allows it.
//!
//! Never panics; allocates only the candidate paths, at start-up. The daemon's own RSS
//! is about 1 MiB, but every `/proc/<pid>` entry and `cmdline` a scan touches leaves two
//! dentries and two procfs inodes in the kernel's caches, charged to the scanner's memory
//! cgroup: about 1.8 KiB per host process (measured with `scripts/memlimit.sh`, see
//! BENCHMARKS.md). Below that working set every scan makes the kernel reclaim them, and
//! it frees them too late (through RCU) for the charge that needed the room: an OOM kill,
//! sooner or later, and a restart loop during which nothing is watched. So the limit must
//! hold the working set, with margin: [`needed_bytes`].
//!
//! No I/O: the daemon reads the files ([`crate::proc::sys`]).

pub(crate) mod limit;

use std::path::{Path, PathBuf};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
/// The rule's fixed part: the process, its buffers, and the start-up transient.
pub const BASE_BYTES: u64 = 3 * MIB;
/// The rule's part per host process: 1.8 KiB measured, with 25 % margin.
pub const PER_PROCESS_BYTES: u64 = 2355; // 2.3 KiB
/// The rule in words, for the warnings.
pub const RULE: &str = "3 MiB + 2.3 KiB per process";
/// The least limit worth setting (Docker's own minimum is 6 MiB).
pub const FLOOR_BYTES: u64 = 6 * MIB;

/// The memory limit a container needs beside `host_processes` processes.
pub fn needed_bytes(host_processes: u64) -> u64 {
    BASE_BYTES
        .saturating_add(PER_PROCESS_BYTES.saturating_mul(host_processes))
        .max(FLOOR_BYTES)
}

/// How many host processes a limit covers by the rule.
pub fn covers(limit_bytes: u64) -> u64 {
    limit_bytes.saturating_sub(BASE_BYTES) / PER_PROCESS_BYTES
}

/// Bytes in whole MiB, rounded up, for people.
pub fn mib_up(bytes: u64) -> u64 {
    bytes.div_ceil(MIB)
}

/// A memory limit as the cgroup file gives it: `max` (v2) or a number of bytes; v1's
/// "no limit" is a huge number (a page-rounded `LONG_MAX`), which counts as none.
pub fn parse_limit(text: &[u8]) -> Option<u64> {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    let bytes = crate::proc::parse::parse_u64(text)?;
    (bytes < (1 << 62)).then_some(bytes)
}

/// Where this process's memory limit may be, most likely first, given `/proc/self/cgroup`
/// and where the cgroup filesystems are mounted: the v1 `memory` hierarchy's
/// `memory.limit_in_bytes` when there is one (a hybrid host), else v2's `memory.max`. A
/// container usually sees its own cgroup at the root of the mount, not at the path
/// `/proc/self/cgroup` names (the host's), so the root comes second.
pub fn limit_files(self_cgroup: &[u8], cgroup_root: &Path) -> Vec<PathBuf> {
    let mut v2 = None;
    for line in self_cgroup.split(|&b| b == b'\n') {
        let Some((id, controllers, path)) = crate::proc::parse::cgroup::line_fields(line) else {
            continue;
        };
        let Ok(path) = std::str::from_utf8(path) else {
            continue;
        };
        let path = path.trim_start_matches('/');
        if controllers.split(|&b| b == b',').any(|c| c == b"memory") {
            let dir = cgroup_root.join("memory");
            return vec![
                dir.join(path).join("memory.limit_in_bytes"),
                dir.join("memory.limit_in_bytes"),
            ];
        }
        if id == b"0" && controllers.is_empty() {
            v2 = Some(path);
        }
    }
    match v2 {
        Some(path) => vec![
            cgroup_root.join(path).join("memory.max"),
            cgroup_root.join("memory.max"),
        ],
        None => Vec::new(),
    }
}

/// The number of tasks (processes and threads) from `/proc/loadavg`'s fourth field
/// (`running/total`): an upper bound on the host's processes, known before a scan lists
/// them (which is what costs the memory).
pub fn tasks_from_loadavg(text: &[u8]) -> Option<u64> {
    let field = text.split(|&b| b == b' ').nth(3)?;
    let total = field.split(|&b| b == b'/').nth(1)?;
    crate::proc::parse::parse_u64(total)
}

/// What the limit says for a host of `host_processes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No limit, or one that holds the rule.
    Enough,
    /// Below the rule: `needed` is the limit to set.
    Low { limit: u64, needed: u64 },
}

pub fn judge(limit: Option<u64>, host_processes: u64) -> Verdict {
    let needed = needed_bytes(host_processes);
    match limit {
        Some(limit) if limit < needed => Verdict::Low { limit, needed },
        _ => Verdict::Enough,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_and_its_inverse() {
        assert_eq!(needed_bytes(0), FLOOR_BYTES);
        assert_eq!(mib_up(needed_bytes(4_000)), 12);
        assert_eq!(mib_up(needed_bytes(20_000)), 48);
        assert!(covers(48 * MIB) >= 20_000);
        assert_eq!(judge(None, 1_000_000), Verdict::Enough);
        assert_eq!(judge(Some(48 * MIB), 20_000), Verdict::Enough);
        assert!(matches!(judge(Some(8 * MIB), 4_000), Verdict::Low { .. }));
    }

    #[test]
    fn the_limit_files_of_each_layout() {
        let root = Path::new("/sys/fs/cgroup");
        let v1 = b"12:pids:/docker/abc\n4:memory:/docker/abc\n0::/\n";
        assert_eq!(
            limit_files(v1, root),
            [
                root.join("memory/docker/abc/memory.limit_in_bytes"),
                root.join("memory/memory.limit_in_bytes")
            ]
        );
        let v2 = b"0::/system.slice/lingerwatch.service\n";
        assert_eq!(
            limit_files(v2, root),
            [
                root.join("system.slice/lingerwatch.service/memory.max"),
                root.join("memory.max")
            ]
        );
        assert!(limit_files(b"garbage", root).is_empty());
        assert_eq!(tasks_from_loadavg(b"0.10 0.20 0.30 2/4093 12345\n"), Some(4093));
        assert_eq!(tasks_from_loadavg(b"0.10"), None);
    }

    #[test]
    fn limits_as_the_cgroup_files_write_them() {
        assert_eq!(parse_limit(b"33554432\n"), Some(32 * MIB));
        assert_eq!(parse_limit(b"max\n"), None);
        assert_eq!(parse_limit(b"9223372036854771712\n"), None, "v1's no limit");
        assert_eq!(parse_limit(b""), None);
    }
}
