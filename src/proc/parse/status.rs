//! `/proc/<pid>/status`: only its `NSpid:` line, the pid in each PID namespace the process
//! is in, from the namespace of the `/proc` mount down to its own (proc(5), Linux 4.1+).
//!
//! Pure; never panics; no allocation. The last value is the pid in the process's own
//! namespace: 1 means it is the init of a PID namespace (a container's pid 1), whatever
//! its name. The `Name:` line before it cannot forge an `NSpid:` line: the kernel escapes
//! a newline in a comm as `\n`.

use super::parse_u64;

/// The line's key, at the start of a line.
const NSPID: &[u8] = b"NSpid:";

/// The last pid on the `NSpid:` line: the process's pid in its own PID namespace. `None`
/// when there is no such line (a kernel before 4.1), when it is not ended by a newline (a
/// read cut it, so its last value may be cut too), or when a value is not a pid.
pub fn nspid_last(status: &[u8]) -> Option<u32> {
    let mut rest = status;
    loop {
        let end = rest.iter().position(|&b| b == b'\n')?;
        let line = rest.get(..end)?;
        if let Some(values) = line.strip_prefix(NSPID) {
            return last_pid(values);
        }
        rest = rest.get(end.saturating_add(1)..)?;
    }
}

/// The last of the tab- or space-separated pids; every one must be a number that fits a
/// pid, and there must be one.
fn last_pid(values: &[u8]) -> Option<u32> {
    let mut last = None;
    for v in values
        .split(|&b| b == b'\t' || b == b' ')
        .filter(|v| !v.is_empty())
    {
        last = Some(parse_u64(v).and_then(|p| u32::try_from(p).ok())?);
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured on a Debian 12 host (kernel 6.1), up to the line after NSsid.
    /// bash as pid 1 of `unshare -pf --mount-proc`, read from the host's /proc.
    const NS_INIT_BASH: &[u8] = b"Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t28898\nNgid:\t0\nPid:\t28898\nPPid:\t28897\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t256\nGroups:\t \nNStgid:\t28898\t1\nNSpid:\t28898\t1\nNSpgid:\t28897\t0\nNSsid:\t28897\t0\nKthread:\t0\n";
    /// Its child, pid 3 in that namespace.
    const NS_CHILD: &[u8] = b"Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t28901\nNgid:\t0\nPid:\t28901\nPPid:\t28898\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t256\nGroups:\t \nNStgid:\t28901\t3\nNSpid:\t28901\t3\nNSpgid:\t28897\t0\nNSsid:\t28897\t0\nKthread:\t0\n";
    /// A host process: one namespace, one value.
    const HOST: &[u8] = b"Name:\tcp\nUmask:\t0022\nState:\tR (running)\nTgid:\t28831\nNgid:\t0\nPid:\t28831\nPPid:\t28795\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t256\nGroups:\t \nNStgid:\t28831\nNSpid:\t28831\nNSpgid:\t28795\nNSsid:\t22947\n";

    #[test]
    fn the_last_nspid_of_captured_status_files() {
        assert_eq!(nspid_last(NS_INIT_BASH), Some(1));
        assert_eq!(nspid_last(NS_CHILD), Some(3));
        assert_eq!(nspid_last(HOST), Some(28831));
    }

    #[test]
    fn malformed_status_gives_none() {
        let cases: &[&[u8]] = &[
            b"",
            b"Name:\tx\n",
            // Cut before its newline: "1" might have been "12".
            b"NSpid:\t28898\t1",
            b"NSpid:\n",
            b"NSpid:\t \t\n",
            b"NSpid:\t28898\tx\n",
            b"NSpid:\t-1\n",
            b"NSpid:\t4294967296\n",
            b"NSpid:\t99999999999999999999999\n",
            // Only at the start of a line, and the key exactly.
            b"Name:\tNSpid:\t1\n",
            b"NSpids:\t1\n",
            b"nspid:\t1\n",
            b"\xff\xfe\nNSpid:\t\xff\n",
        ];
        for case in cases {
            assert_eq!(nspid_last(case), None, "{:?}", String::from_utf8_lossy(case));
        }
    }

    #[test]
    fn spaces_or_tabs_and_a_name_that_tries_to_forge_a_line() {
        assert_eq!(nspid_last(b"NSpid: 7  1\n"), Some(1));
        assert_eq!(nspid_last(b"Name:\tx\\nNSpid:\t1\nNSpid:\t9\n"), Some(9));
        assert_eq!(nspid_last(b"NSpid:\t4294967295\n"), Some(u32::MAX));
    }

    #[test]
    fn a_status_cut_at_every_byte_never_panics() {
        for n in 0..NS_INIT_BASH.len() {
            let got = nspid_last(&NS_INIT_BASH[..n]);
            assert!(got.is_none() || got == Some(1), "{n}: {got:?}");
        }
    }
}
