//! The scanner's I/O: raw syscalls through rustix on one `/proc` directory fd, plus the
//! clocks and the few host facts lingerwatch reads (hostname, boot id, mount options).
//!
//! Every `/proc` file is opened with `openat` relative to that fd, read-only, with paths
//! built in stack buffers, and read into caller-owned arrays: nothing here allocates
//! after [`ProcDir::open`]. It opens `/proc`, `/proc/stat` and, per pid, `stat`,
//! `cmdline`, `cgroup`, (a match's parent only) `status` and (a lingering tree's members
//! only, issue 22) the `task` listing and each `task/<tid>/children` — never `environ` — and never
//! signals anything or writes under `/proc`. The one write loop here
//! ([`write_all_with`]) serves the heartbeat and the metrics textfile, which open their
//! own files.
//! Every read has a byte limit, so no file (a fake `/proc` can hold `/dev/zero`) can spin
//! or grow a scan.

use core::ffi::CStr;
use core::mem::MaybeUninit;
use std::path::Path;

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{openat, Mode, OFlags, RawDir, SeekFrom, CWD};
use rustix::io::Errno;
use rustix::path::DecInt;

/// Why a read failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// The process exited between listing and reading (`ENOENT`, `ESRCH`): skip it
    /// quietly.
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

    /// The errno behind it, for messages.
    pub(crate) fn errno(self) -> i32 {
        match self {
            ReadError::Gone => Errno::NOENT.raw_os_error(),
            ReadError::Denied => Errno::ACCESS.raw_os_error(),
            ReadError::Io(e) => e,
        }
    }
}

/// The per-pid files lingerwatch reads. There is deliberately no `environ`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PidFile {
    Stat,
    Cmdline,
    Cgroup,
    /// Read only for a match's parent, for its `NSpid:` line.
    Status,
}

impl PidFile {
    /// `/<name>` and its NUL, padded with NULs to a fixed width, and the length of
    /// `/<name>`: copied whole, the name is a fixed-size move rather than a call to
    /// `memcpy` per pid (issue 23). The path test checks each length against its name.
    fn name(self) -> (&'static [u8; NAME_WIDTH], usize) {
        match self {
            PidFile::Stat => (b"/stat\0\0\0\0\0\0\0\0\0\0\0", 5),
            PidFile::Cmdline => (b"/cmdline\0\0\0\0\0\0\0\0", 8),
            PidFile::Cgroup => (b"/cgroup\0\0\0\0\0\0\0\0\0", 7),
            PidFile::Status => (b"/status\0\0\0\0\0\0\0\0\0", 7),
        }
    }
}

/// The width of [`PidFile::name`]'s padded names.
const NAME_WIDTH: usize = 16;

/// The most decimal digits of a pid (`u32::MAX` has 10).
const PID_DIGITS: usize = 10;

/// `<pid>/<file>\0` for every pid and file fits here: 10 digits and a padded name.
const PATH_BUF: usize = PID_DIGITS + NAME_WIDTH;

/// Builds `<pid>/<file>` NUL-terminated in `buf`, without allocating. This runs once per
/// pid per scan, so the digits are written in place and the name is one fixed-size
/// copy. The buffer is sized for the longest pid and name, so this cannot fail; the
/// `Option` only spares a panic.
fn pid_path(buf: &mut [u8; PATH_BUF], pid: u32, file: PidFile) -> Option<&CStr> {
    let digits = decimal_digits(pid);
    let mut rest = pid;
    for slot in buf.get_mut(..digits)?.iter_mut().rev() {
        *slot = b'0'.wrapping_add((rest % 10) as u8);
        rest /= 10;
    }
    let (name, name_len) = file.name();
    *buf.get_mut(digits..digits.checked_add(NAME_WIDTH)?)?.first_chunk_mut::<NAME_WIDTH>()? =
        *name;
    let end = digits.checked_add(name_len)?;
    CStr::from_bytes_with_nul(buf.get(..=end)?).ok()
}

/// How many decimal digits `n` has (1 for 0).
fn decimal_digits(n: u32) -> usize {
    (n.checked_ilog10().unwrap_or(0) as usize).saturating_add(1)
}

/// `<pid>/task/<tid>/children\0`: 10 + 6 + 10 + 9 + 1 bytes.
const TASK_PATH_BUF: usize = 40;

/// Builds `<pid>/task` or, with a tid, `<pid>/task/<tid>/children`, NUL-terminated in
/// `buf`, without allocating.
fn task_path(buf: &mut [u8; TASK_PATH_BUF], pid: u32, tid: Option<u32>) -> Option<&CStr> {
    let mut end = 0usize;
    let mut put = |bytes: &[u8]| -> Option<()> {
        let next = end.checked_add(bytes.len())?;
        buf.get_mut(end..next)?.copy_from_slice(bytes);
        end = next;
        Some(())
    };
    put(DecInt::new(pid).as_bytes())?;
    put(b"/task")?;
    if let Some(tid) = tid {
        put(b"/")?;
        put(DecInt::new(tid).as_bytes())?;
        put(b"/children")?;
    }
    *buf.get_mut(end)? = 0;
    CStr::from_bytes_with_nul(buf.get(..=end)?).ok()
}

/// An open `/proc` (or a fake tree shaped like it, in tests).
pub(crate) struct ProcDir {
    fd: OwnedFd,
}

impl ProcDir {
    /// Opens the `/proc` root. Start-up only.
    pub fn open(root: &Path) -> std::io::Result<Self> {
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
    pub(crate) fn self_pid(&self) -> Option<u32> {
        let mut buf = [0u8; 16];
        let n = rustix::fs::readlinkat_raw(&self.fd, c"self", &mut buf).ok()?;
        let pid = crate::proc::parse::parse_u64(buf.get(..n)?)?;
        u32::try_from(pid).ok()
    }

    /// The device of the mount this root is on, as (major, minor): how
    /// `/proc/self/mountinfo` names it.
    pub(crate) fn device(&self) -> Option<(u32, u32)> {
        let st = rustix::fs::fstat(&self.fd).ok()?;
        Some((
            rustix::fs::major(st.st_dev),
            rustix::fs::minor(st.st_dev),
        ))
    }

    /// Calls `f` with each numeric entry of the root: the pids. `dirbuf` holds the
    /// getdents64 records.
    pub(crate) fn for_each_pid(
        &self,
        dirbuf: &mut [MaybeUninit<u8>],
        f: impl FnMut(u32),
    ) -> Result<(), ReadError> {
        // Rewind: the same fd is listed on every tick.
        rustix::fs::seek(&self.fd, SeekFrom::Start(0)).map_err(ReadError::from_errno)?;
        for_each_number(&self.fd, dirbuf, f)
    }

    fn open_at(&self, path: &CStr) -> Result<OwnedFd, ReadError> {
        // O_NONBLOCK: procfs files ignore it, and a FIFO (a fake tree; procfs has none)
        // then opens at once and reads as empty (or EAGAIN, counted as an error) instead
        // of hanging `scan` and every tick (issue 19). No fstat per pid: it would cost
        // scan time.
        open_read(&self.fd, path, OFlags::NONBLOCK)
    }

    /// Streams a file through `buf`, handing each chunk to `f` until it returns false, the
    /// file ends, or `limit` bytes were handed over. Returns the bytes handed over.
    ///
    /// A read shorter than the buffer ends the file: procfs fills the buffer unless it is at
    /// the end (seq_file and the cmdline reader both loop until the count is met), and so
    /// does a regular file in a fake tree. That saves the extra 0-byte read per file.
    pub(crate) fn stream(
        &self,
        path: &CStr,
        buf: &mut [u8],
        limit: u64,
        f: impl FnMut(&[u8]) -> bool,
    ) -> Result<u64, ReadError> {
        let fd = self.open_at(path)?;
        stream_fd(&fd, buf, limit, f)
    }

    /// Reads as much of a file as fits in `buf`; returns the length read.
    pub fn read(&self, path: &CStr, buf: &mut [u8]) -> Result<usize, ReadError> {
        let fd = self.open_at(path)?;
        read_fd(&fd, buf)
    }

    /// Reads one per-pid file into `buf` (as much as fits).
    pub(crate) fn read_pid(&self, pid: u32, file: PidFile, buf: &mut [u8]) -> Result<usize, ReadError> {
        let mut path = [0u8; PATH_BUF];
        let path = pid_path(&mut path, pid, file).ok_or(ReadError::Gone)?;
        self.read(path, buf)
    }

    /// Calls `f` with the contents of each `<pid>/task/<tid>/children` file (as much as
    /// fits in `buf`, and whether the read filled it, so the caller drops a cut last pid).
    /// `dirbuf` holds the `task` listing's records. A thread that ends between listing
    /// and reading is skipped; a process that is gone is [`ReadError::Gone`].
    ///
    /// `single_thread`: the caller's `stat` showed one live thread and a leader that is
    /// no zombie, so the only task is the leader (tid = pid) and its `children` file is
    /// read without listing `task` (four system calls fewer per process of a tree).
    pub(crate) fn for_each_task_children(
        &self,
        pid: u32,
        single_thread: bool,
        dirbuf: &mut [MaybeUninit<u8>],
        buf: &mut [u8],
        mut f: impl FnMut(&[u8], bool),
    ) -> Result<(), ReadError> {
        let mut path = [0u8; TASK_PATH_BUF];
        if single_thread {
            let children = task_path(&mut path, pid, Some(pid)).ok_or(ReadError::Gone)?;
            let n = self.read(children, buf)?;
            f(buf.get(..n).unwrap_or(&[]), n == buf.len());
            return Ok(());
        }
        let task = task_path(&mut path, pid, None).ok_or(ReadError::Gone)?;
        let dir = open_read(&self.fd, task, OFlags::DIRECTORY)?;
        for_each_number(&dir, dirbuf, |tid| {
            let mut path = [0u8; TASK_PATH_BUF];
            let Some(children) = task_path(&mut path, pid, Some(tid)) else {
                return;
            };
            if let Ok(n) = self.read(children, buf) {
                f(buf.get(..n).unwrap_or(&[]), n == buf.len());
            }
        })
    }

    /// Streams one per-pid file, as [`ProcDir::stream`].
    pub(crate) fn stream_pid(
        &self,
        pid: u32,
        file: PidFile,
        buf: &mut [u8],
        limit: u64,
        f: impl FnMut(&[u8]) -> bool,
    ) -> Result<u64, ReadError> {
        let mut path = [0u8; PATH_BUF];
        let path = pid_path(&mut path, pid, file).ok_or(ReadError::Gone)?;
        self.stream(path, buf, limit, f)
    }
}

/// Calls `f` with each entry of the open directory `dir` whose name is a number (a pid
/// or a tid), from where its offset stands; `dirbuf` holds the getdents64 records.
fn for_each_number(
    dir: &OwnedFd,
    dirbuf: &mut [MaybeUninit<u8>],
    mut f: impl FnMut(u32),
) -> Result<(), ReadError> {
    let mut listing = RawDir::new(dir, dirbuf);
    while let Some(entry) = listing.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(ReadError::from_errno(e)),
        };
        let name = entry.file_name().to_bytes();
        if let Some(n) = crate::proc::parse::parse_u64(name).and_then(|p| u32::try_from(p).ok()) {
            f(n);
        }
    }
    Ok(())
}

/// A directory opened once at start-up and listed again at each use (the kubelet's pod
/// log directory, issue 22): the listing needs no path, so it needs no Landlock rule
/// after the lock-down.
pub(crate) struct ListedDir {
    fd: OwnedFd,
}

impl ListedDir {
    /// Opens `path` as a directory; `None` when it cannot be (missing is fine: not a
    /// Kubernetes node).
    pub(crate) fn open(path: &Path) -> Option<Self> {
        let fd = open_read(CWD, path, OFlags::DIRECTORY).ok()?;
        Some(ListedDir { fd })
    }

    /// Calls `f` with each entry's name, from the start. An error ends the listing.
    pub(crate) fn for_each_name(&self, dirbuf: &mut [MaybeUninit<u8>], mut f: impl FnMut(&[u8])) {
        if rustix::fs::seek(&self.fd, SeekFrom::Start(0)).is_err() {
            return;
        }
        let mut dir = RawDir::new(&self.fd, dirbuf);
        while let Some(entry) = dir.next() {
            match entry {
                Ok(entry) => f(entry.file_name().to_bytes()),
                Err(Errno::INTR) => continue,
                Err(_) => return,
            }
        }
    }
}

/// Opens `path` (relative to `dir`) to read it, never as a controlling terminal, with
/// `extra` flags on top.
fn open_read<P: rustix::path::Arg + Copy>(
    dir: impl AsFd,
    path: P,
    extra: OFlags,
) -> Result<OwnedFd, ReadError> {
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | extra;
    loop {
        match openat(&dir, path, flags, Mode::empty()) {
            Err(Errno::INTR) => continue,
            other => return other.map_err(ReadError::from_errno),
        }
    }
}

fn stream_fd(
    fd: &OwnedFd,
    buf: &mut [u8],
    limit: u64,
    mut f: impl FnMut(&[u8]) -> bool,
) -> Result<u64, ReadError> {
    let mut total: u64 = 0;
    loop {
        let room = usize::try_from(limit.saturating_sub(total))
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let Some(window) = buf.get_mut(..room).filter(|w| !w.is_empty()) else {
            return Ok(total);
        };
        let n = match rustix::io::read(fd, &mut *window) {
            Ok(n) => n,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(ReadError::from_errno(e)),
        };
        let chunk = window.get(..n).unwrap_or(&[]);
        total = total.saturating_add(n as u64);
        if n == 0 || !f(chunk) || n < window.len() {
            return Ok(total);
        }
    }
}

fn read_fd(fd: &OwnedFd, buf: &mut [u8]) -> Result<usize, ReadError> {
    let mut filled = 0usize;
    while let Some(rest) = buf.get_mut(filled..).filter(|r| !r.is_empty()) {
        let room = rest.len();
        match rustix::io::read(fd, rest) {
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

/// Streams a file by absolute path (start-up reads of this process's own `/proc`), with
/// the same limit rule as [`ProcDir::stream`].
pub(crate) fn stream_file(
    path: &Path,
    buf: &mut [u8],
    limit: u64,
    f: impl FnMut(&[u8]) -> bool,
) -> Result<u64, ReadError> {
    let fd = open_to_read(path)?;
    stream_fd(&fd, buf, limit, f)
}

/// Writes all of `bytes` through `write_at(rest, offset)`, which writes what it can of
/// `rest` (found `offset` bytes in), again after a short write or EINTR; the errno of
/// any other failure.
pub(crate) fn write_all_with(
    bytes: &[u8],
    mut write_at: impl FnMut(&[u8], u64) -> Result<usize, Errno>,
) -> Result<(), i32> {
    let mut done = 0usize;
    while let Some(rest) = bytes.get(done..).filter(|r| !r.is_empty()) {
        match write_at(rest, done as u64) {
            Ok(n) => done = done.saturating_add(n),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e.raw_os_error()),
        }
    }
    Ok(())
}

/// Opens a file by absolute path to read it, never blocking in open() on a FIFO.
fn open_to_read(path: &Path) -> Result<OwnedFd, ReadError> {
    open_read(CWD, path, OFlags::NONBLOCK)
}

/// Reads up to `buf.len()` bytes of a file by absolute path.
pub(crate) fn read_file(path: &Path, buf: &mut [u8]) -> Result<usize, ReadError> {
    let fd = open_to_read(path)?;
    read_fd(&fd, buf)
}

/// A small file kept open to be read again and again ([`ReopenlessFile::read`]): one
/// `pread` at offset 0 each time instead of open, read and close by path (cgroup and
/// proc files are generated afresh at every read from offset 0). Opened before the
/// lock-down, it needs no Landlock rule afterwards.
pub(crate) struct ReopenlessFile {
    fd: OwnedFd,
}

impl ReopenlessFile {
    /// Opens `path` to read it (never blocking on a FIFO). Start-up only.
    pub(crate) fn open(path: &Path) -> Result<Self, ReadError> {
        Ok(ReopenlessFile {
            fd: open_to_read(path)?,
        })
    }

    /// Reads the file from its start into `buf` (as much as fits): its length.
    pub(crate) fn read(&self, buf: &mut [u8]) -> Result<usize, ReadError> {
        loop {
            match rustix::io::pread(&self.fd, &mut *buf, 0) {
                Err(Errno::INTR) => continue,
                other => return other.map_err(ReadError::from_errno),
            }
        }
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

/// Sleeps until the boot clock reads `deadline_ms` (at once if it has passed). An
/// absolute sleep on the boot clock, so a suspend in between does not stretch it.
pub(crate) fn sleep_until_boot_ms(deadline_ms: u64) {
    let ts = rustix::time::Timespec {
        tv_sec: i64::try_from(deadline_ms / 1000).unwrap_or(i64::MAX),
        tv_nsec: i64::try_from((deadline_ms % 1000).saturating_mul(1_000_000)).unwrap_or(0),
    };
    while let Err(Errno::INTR) =
        rustix::thread::clock_nanosleep_absolute(rustix::thread::ClockId::Boottime, &ts)
    {}
}

/// Clock ticks per second (`CLK_TCK`), from the aux vector, as the kernel told us.
pub fn clock_ticks_per_second() -> u64 {
    rustix::param::clock_ticks_per_second()
}

/// The size of a memory page, the unit of `rss` in `/proc/<pid>/stat`.
pub fn page_size() -> u64 {
    u64::try_from(rustix::param::page_size()).unwrap_or(4096)
}

/// Now on the wall clock, in seconds since the epoch: only to show dates to people.
pub(crate) fn wall_clock_s() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
    u64::try_from(t.tv_sec).unwrap_or(0)
}

/// The kernel's hostname (`uname -n`).
pub(crate) fn hostname() -> String {
    String::from_utf8_lossy(rustix::system::uname().nodename().to_bytes()).into_owned()
}

/// Where this boot's id is.
pub(crate) const BOOT_ID_PATH: &str = "/proc/sys/kernel/random/boot_id";

/// This boot's id (36 characters), or zeros when it cannot be read.
pub fn boot_id() -> [u8; crate::proc::parse::BOOT_ID_LEN] {
    let mut buf = [0u8; 64];
    let n = read_file(Path::new(BOOT_ID_PATH), &mut buf).unwrap_or(0);
    crate::proc::parse::boot_id_from(buf.get(..n).unwrap_or(&[]))
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
        assert_eq!(pid_path(&mut buf, 0, PidFile::Cgroup).unwrap(), c"0/cgroup");
        // Every width of pid, each after a longer one (nothing of it may be left over).
        let mut pid = 1_000_000_000u32;
        while pid > 0 {
            let path = pid_path(&mut buf, pid, PidFile::Cmdline).unwrap();
            assert_eq!(path.to_str().unwrap(), format!("{pid}/cmdline"));
            pid /= 10;
        }
        for pid in [9, 10, 99, 100, 65_535, 4_194_304, 999_999_999] {
            let path = pid_path(&mut buf, pid, PidFile::Status).unwrap();
            assert_eq!(path.to_str().unwrap(), format!("{pid}/status"));
        }
        assert_eq!(
            pid_path(&mut buf, 4294967295, PidFile::Status).unwrap(),
            c"4294967295/status"
        );
    }

    #[test]
    fn task_paths_are_built_without_allocating() {
        let mut buf = [0u8; TASK_PATH_BUF];
        assert_eq!(task_path(&mut buf, 7, None).unwrap(), c"7/task");
        assert_eq!(
            task_path(&mut buf, 4294967295, Some(4294967295)).unwrap(),
            c"4294967295/task/4294967295/children"
        );
    }

    #[test]
    fn streams_stop_at_their_limit_whatever_the_file_holds() {
        let mut buf = [0u8; 4096];
        let mut chunks = 0;
        let n = stream_file(Path::new("/dev/zero"), &mut buf, 10_000, |_| {
            chunks += 1;
            true
        })
        .unwrap();
        assert_eq!(n, 10_000);
        assert_eq!(chunks, 3);
    }
}
