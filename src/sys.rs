//! The only I/O of the scanner: raw syscalls through rustix on one `/proc` directory fd.
//!
//! Every file is opened with `openat` relative to that fd, read-only, with paths built in
//! stack buffers, and read into caller-owned arrays: nothing here allocates after
//! [`ProcDir::open`]. It opens `/proc`, `/proc/stat` and, per pid, `stat`, `cmdline` and
//! `cgroup` — never `environ` — and never signals or writes anything.

use core::ffi::CStr;
use core::mem::MaybeUninit;
use std::path::Path;

use rustix::fd::OwnedFd;
use rustix::fs::{openat, Mode, OFlags, RawDir, SeekFrom, CWD};
use rustix::io::Errno;
use rustix::path::DecInt;

/// Why a read failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The process exited between listing and reading (`ENOENT`, `ESRCH`, or a 0-byte
    /// read of a file that always has content): skip it quietly.
    Gone,
    /// `EACCES`/`EPERM`: `hidepid`, or a process of another user under a restricted mount.
    Denied,
    /// Any other errno, raw.
    Io(i32),
}

impl ReadError {
    fn from_errno(e: Errno) -> Self {
        match e {
            Errno::NOENT | Errno::SRCH => ReadError::Gone,
            Errno::ACCESS | Errno::PERM => ReadError::Denied,
            e => ReadError::Io(e.raw_os_error()),
        }
    }
}

/// The per-pid files lingerwatch reads. There is deliberately no `environ`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PidFile {
    Stat,
    Cmdline,
    Cgroup,
}

impl PidFile {
    fn name(self) -> &'static [u8] {
        match self {
            PidFile::Stat => b"/stat",
            PidFile::Cmdline => b"/cmdline",
            PidFile::Cgroup => b"/cgroup",
        }
    }
}

/// `<pid>/<file>\0` for every pid and file fits here.
const PATH_BUF: usize = 32;

/// Builds `<pid>/<file>` NUL-terminated in `buf`, without allocating.
fn pid_path(buf: &mut [u8; PATH_BUF], pid: u32, file: PidFile) -> Option<&CStr> {
    let digits = DecInt::new(pid);
    let digits = digits.as_bytes();
    let name = file.name();
    let end = digits.len().checked_add(name.len())?;
    buf.get_mut(..digits.len())?.copy_from_slice(digits);
    buf.get_mut(digits.len()..end)?.copy_from_slice(name);
    *buf.get_mut(end)? = 0;
    CStr::from_bytes_with_nul(buf.get(..=end)?).ok()
}

/// An open `/proc` (or a fake tree shaped like it, in tests).
pub struct ProcDir {
    fd: OwnedFd,
}

impl ProcDir {
    /// Opens the `/proc` root. Start-up only.
    pub fn open(root: &Path) -> Result<Self, Errno> {
        let fd = openat(
            CWD,
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(ProcDir { fd })
    }

    /// The pid this process has in this `/proc`, from the `self` link; `None` when the
    /// mount belongs to a PID namespace we are not in (or a fake tree has no `self`).
    pub fn self_pid(&self) -> Option<u32> {
        let mut buf = [0u8; 16];
        let n = rustix::fs::readlinkat_raw(&self.fd, c"self", &mut buf).ok()?;
        let pid = crate::parse::parse_u64(buf.get(..n)?)?;
        u32::try_from(pid).ok()
    }

    /// Calls `f` with each numeric entry of the root: the pids. `dirbuf` holds the
    /// getdents64 records.
    pub fn for_each_pid(
        &self,
        dirbuf: &mut [MaybeUninit<u8>],
        mut f: impl FnMut(u32),
    ) -> Result<(), ReadError> {
        // Rewind: the same fd is listed on every tick.
        rustix::fs::seek(&self.fd, SeekFrom::Start(0)).map_err(ReadError::from_errno)?;
        let mut dir = RawDir::new(&self.fd, dirbuf);
        while let Some(entry) = dir.next() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(Errno::INTR) => continue,
                Err(e) => return Err(ReadError::from_errno(e)),
            };
            let name = entry.file_name().to_bytes();
            if let Some(pid) = crate::parse::parse_u64(name).and_then(|p| u32::try_from(p).ok()) {
                f(pid);
            }
        }
        Ok(())
    }

    fn open_at(&self, path: &CStr) -> Result<OwnedFd, ReadError> {
        loop {
            match openat(
                &self.fd,
                path,
                OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY,
                Mode::empty(),
            ) {
                Err(Errno::INTR) => continue,
                other => return other.map_err(ReadError::from_errno),
            }
        }
    }

    /// Streams a file through `buf`, handing each chunk to `f` until it returns false or
    /// the file ends. Returns the bytes handed over.
    ///
    /// A read shorter than the buffer ends the file: procfs fills the buffer unless it is at
    /// the end (seq_file and the cmdline reader both loop until the count is met), and so
    /// does a regular file in a fake tree. That saves the extra 0-byte read per file.
    pub fn stream(
        &self,
        path: &CStr,
        buf: &mut [u8],
        mut f: impl FnMut(&[u8]) -> bool,
    ) -> Result<u64, ReadError> {
        let fd = self.open_at(path)?;
        let mut total: u64 = 0;
        loop {
            let n = match rustix::io::read(&fd, &mut *buf) {
                Ok(n) => n,
                Err(Errno::INTR) => continue,
                Err(e) => return Err(ReadError::from_errno(e)),
            };
            let chunk = buf.get(..n).unwrap_or(&[]);
            total = total.saturating_add(n as u64);
            if n == 0 || !f(chunk) || n < buf.len() {
                return Ok(total);
            }
        }
    }

    /// Reads as much of a file as fits in `buf`; returns the length read.
    pub fn read(&self, path: &CStr, buf: &mut [u8]) -> Result<usize, ReadError> {
        let fd = self.open_at(path)?;
        let mut filled = 0usize;
        while let Some(rest) = buf.get_mut(filled..).filter(|r| !r.is_empty()) {
            let room = rest.len();
            match rustix::io::read(&fd, rest) {
                Ok(0) => break,
                Ok(n) => {
                    filled = filled.saturating_add(n);
                    if n < room {
                        break;
                    }
                }
                Err(Errno::INTR) => continue,
                Err(e) => return Err(ReadError::from_errno(e)),
            }
        }
        Ok(filled)
    }

    /// Reads one per-pid file into `buf` (as much as fits).
    pub fn read_pid(&self, pid: u32, file: PidFile, buf: &mut [u8]) -> Result<usize, ReadError> {
        let mut path = [0u8; PATH_BUF];
        let path = pid_path(&mut path, pid, file).ok_or(ReadError::Io(0))?;
        self.read(path, buf)
    }

    /// Streams one per-pid file, as [`ProcDir::stream`].
    pub fn stream_pid(
        &self,
        pid: u32,
        file: PidFile,
        buf: &mut [u8],
        f: impl FnMut(&[u8]) -> bool,
    ) -> Result<u64, ReadError> {
        let mut path = [0u8; PATH_BUF];
        let path = pid_path(&mut path, pid, file).ok_or(ReadError::Io(0))?;
        self.stream(path, buf, f)
    }
}

/// Now on the boot-time clock (`CLOCK_BOOTTIME`), in milliseconds. It counts suspend and
/// is never stepped, unlike the wall clock, so no clock change ages or rejuvenates a
/// process.
pub fn boot_clock_ms() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
    let secs = u64::try_from(t.tv_sec).unwrap_or(0);
    let millis = u64::try_from(t.tv_nsec).unwrap_or(0) / 1_000_000;
    secs.saturating_mul(1000).saturating_add(millis)
}

/// Clock ticks per second (`CLK_TCK`), from the aux vector, as the kernel told us.
pub fn clock_ticks_per_second() -> u64 {
    rustix::param::clock_ticks_per_second()
}

/// Now on the wall clock, in seconds since the epoch: only to show dates to people.
pub fn wall_clock_s() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
    u64::try_from(t.tv_sec).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_paths_are_built_without_allocating() {
        let mut buf = [0u8; PATH_BUF];
        assert_eq!(
            pid_path(&mut buf, 4294967295, PidFile::Cmdline).unwrap(),
            c"4294967295/cmdline"
        );
        assert_eq!(pid_path(&mut buf, 1, PidFile::Stat).unwrap(), c"1/stat");
    }
}
