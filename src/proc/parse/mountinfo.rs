//! `/proc/self/mountinfo`: how the `/proc` that lingerwatch scans is mounted.
//!
//! Pure; never panics; no allocation. A line is
//! `id parent major:minor root mountpoint options [optional…] - fstype source superoptions`
//! (proc(5)). Of the procfs mount whose device is the scanned root's, lingerwatch wants
//! `hidepid` (other users' processes hidden or unreadable: the scan is blind to them).
//! Kernels since 5.8 print `hidepid=off|noaccess|invisible|ptraceable`,
//! older ones `hidepid=0|1|2`. Fed chunk by chunk; a line longer than [`LINE_CAP`] is
//! skipped (no procfs line is that long).

use heapless::Vec;

/// The longest mountinfo line kept.
pub const LINE_CAP: usize = 4096;

/// What the procfs mount options say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcMount {
    /// `hidepid` is on (any value but `0`/`off`).
    pub hidepid: bool,
}

/// The procfs mount on device `dev` described by `line`, if it is one.
pub fn proc_mount(line: &[u8], dev: (u32, u32)) -> Option<ProcMount> {
    let mut fields = line.split(|&b| b == b' ');
    let _id = fields.next()?;
    let _parent = fields.next()?;
    let (major, minor) = split2(fields.next()?, b':')?;
    if (parse_u32(major)?, parse_u32(minor)?) != dev {
        return None;
    }
    let _root = fields.next()?;
    let _mount_point = fields.next()?;
    let mount_options = fields.next()?;
    // Optional fields run up to the lone "-".
    fields.by_ref().find(|f| *f == b"-")?;
    if fields.next()? != b"proc" {
        return None;
    }
    let _source = fields.next()?;
    let super_options = fields.next().unwrap_or(&[]);
    let mut out = ProcMount::default();
    for option in super_options.split(|&b| b == b',').chain(mount_options.split(|&b| b == b',')) {
        if let Some(value) = option.strip_prefix(b"hidepid=") {
            out.hidepid |= value != b"0" && value != b"off";
        }
    }
    Some(out)
}

fn split2(s: &[u8], sep: u8) -> Option<(&[u8], &[u8])> {
    let at = s.iter().position(|&b| b == sep)?;
    Some((s.get(..at)?, s.get(at.checked_add(1)?..)?))
}

fn parse_u32(s: &[u8]) -> Option<u32> {
    u32::try_from(super::parse_u64(s)?).ok()
}

/// Streams mountinfo looking for the procfs mount on one device.
pub struct ProcMountFinder {
    dev: (u32, u32),
    line: Vec<u8, LINE_CAP>,
    overlong: bool,
    found: Option<ProcMount>,
}

impl ProcMountFinder {
    pub fn new(dev: (u32, u32)) -> Self {
        ProcMountFinder {
            dev,
            line: Vec::new(),
            overlong: false,
            found: None,
        }
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        for &b in chunk {
            if b == b'\n' {
                self.end_line();
            } else if self.line.push(b).is_err() {
                self.overlong = true;
            }
        }
    }

    fn end_line(&mut self) {
        if !self.overlong && self.found.is_none() {
            self.found = proc_mount(&self.line, self.dev);
        }
        self.line.clear();
        self.overlong = false;
    }

    /// True once the mount was found (the caller may stop reading).
    pub fn done(&self) -> bool {
        self.found.is_some()
    }

    /// The mount's options, or `None` when no procfs mount is on that device (a fake
    /// tree in a test).
    pub fn finish(mut self) -> Option<ProcMount> {
        if !self.line.is_empty() {
            self.end_line();
        }
        self.found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured on Debian 12 (kernel 6.1) and on this machine (6.18), with a test mount.
    const MOUNTINFO: &[u8] = b"\
22 27 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
23 27 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
311 27 0:63 / /tmp/lw/proc rw,relatime - proc proc rw,hidepid=invisible
312 27 0:64 / /tmp/lw/old rw,relatime - proc proc rw,hidepid=2
313 27 0:65 / /tmp/lw/sub rw,relatime shared:1 master:2 - proc none rw,subset=pid
";

    fn find(dev: (u32, u32), chunk: usize) -> Option<ProcMount> {
        let mut f = ProcMountFinder::new(dev);
        for c in MOUNTINFO.chunks(chunk) {
            f.feed(c);
        }
        f.finish()
    }

    #[test]
    fn finds_the_proc_mount_of_a_device_and_its_hidepid() {
        for chunk in [1, 7, 4096] {
            assert_eq!(find((0, 22), chunk), Some(ProcMount::default()));
            let hidden = Some(ProcMount { hidepid: true });
            assert_eq!(find((0, 63), chunk), hidden, "named value");
            assert_eq!(find((0, 64), chunk), hidden, "numeric value");
            assert_eq!(
                find((0, 65), chunk),
                Some(ProcMount::default()),
                "optional fields before the separator"
            );
            assert_eq!(find((0, 21), chunk), None, "sysfs is not procfs");
            assert_eq!(find((8, 1), chunk), None, "no such device");
        }
    }

    #[test]
    fn malformed_lines_are_not_mounts() {
        for line in [
            &b""[..],
            b"23 27 0:22 / /proc rw",
            b"23 27 0:22 / /proc rw - proc",
            b"23 27 x:22 / /proc rw - proc proc rw",
            b"23 27 0:22:1 / /proc rw - proc proc rw",
            b"23 27 0:99999999999 / /proc rw - proc proc rw",
        ] {
            assert_eq!(proc_mount(line, (0, 22)), None, "{line:?}");
        }
        assert_eq!(
            proc_mount(b"23 27 0:22 / /proc rw,hidepid=off - proc proc rw,hidepid=0", (0, 22)),
            Some(ProcMount::default())
        );
    }
}
