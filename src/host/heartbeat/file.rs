//! The heartbeat file that `lingerwatch health` reads, so a `FROM scratch` image can have
//! a HEALTHCHECK without a shell.
//!
//! The daemon stamps a fixed-size record ([`crate::host::heartbeat::record`]) after each completed tick, in
//! place (one `pwrite`, no allocation). A scan stuck in the kernel (a cmdline read of a
//! process in uninterruptible sleep) stops the stamps, so health turns bad after three
//! intervals.
//!
//! The default path is in world-writable `/tmp`, so the file is opened as someone else may
//! have prepared it: never through a symlink (`O_NOFOLLOW`), never blocking on a FIFO
//! (`O_NONBLOCK`), and only if it is a regular file; created `0600`.
use std::path::Path;

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, CWD};
use rustix::io::Errno;

use crate::host::heartbeat::record::{parse_record, write_record, Record, RECORD_LEN};
use crate::text::FixedBuf;

/// Why the heartbeat file cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileError {
    /// A symlink at the path: refused, its target is never touched.
    Symlink,
    /// Something other than a regular file (a FIFO, a directory, a device).
    NotRegular,
    /// Any other errno.
    Io(i32),
}

impl core::fmt::Display for FileError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            FileError::Symlink => f.write_str("it is a symlink; refusing to follow it"),
            FileError::NotRegular => {
                f.write_str("it is not a regular file (a FIFO, directory or device); refusing it")
            }
            FileError::Io(e) => write!(f, "{}", std::io::Error::from_raw_os_error(*e)),
        }
    }
}

fn open_checked(path: &Path, flags: OFlags) -> Result<OwnedFd, FileError> {
    open_regular_at(CWD, path, flags, Mode::from_raw_mode(0o600))
}

/// Opens `path` (relative to `dir`) with `flags`, as a file someone else may have
/// prepared: never through a symlink, never blocking on a FIFO, regular files only. The
/// textfile's temporary name is opened so too.
pub(crate) fn open_regular_at<P: rustix::path::Arg + Copy>(
    dir: impl AsFd,
    path: P,
    flags: OFlags,
    mode: Mode,
) -> Result<OwnedFd, FileError> {
    let flags = flags | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    let fd = rustix::fs::openat(&dir, path, flags, mode).map_err(|e| match e {
        // O_NOFOLLOW on a symlink: ELOOP. O_NONBLOCK write-open of a FIFO with no
        // reader: ENXIO.
        Errno::LOOP => FileError::Symlink,
        Errno::NXIO => FileError::NotRegular,
        // Under Landlock, opening a directory (or another non-file) the rules do not
        // cover is EACCES where the kernel would say what it is (issue 19): say that.
        Errno::ACCESS => match rustix::fs::statat(&dir, path, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Symlink => {
                FileError::Symlink
            }
            Ok(st) if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile => {
                FileError::NotRegular
            }
            _ => FileError::Io(e.raw_os_error()),
        },
        e => FileError::Io(e.raw_os_error()),
    })?;
    let st = rustix::fs::fstat(&fd).map_err(|e| FileError::Io(e.raw_os_error()))?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(FileError::NotRegular);
    }
    Ok(fd)
}

pub(crate) struct Heartbeat {
    fd: OwnedFd,
}

impl Heartbeat {
    /// Creates (or takes over) the file. Start-up only.
    pub fn create(path: &Path) -> Result<Self, FileError> {
        let fd = open_checked(path, OFlags::WRONLY | OFlags::CREATE)?;
        rustix::fs::ftruncate(&fd, RECORD_LEN as u64).map_err(|e| FileError::Io(e.raw_os_error()))?;
        Ok(Heartbeat { fd })
    }

    /// Stamps a completed tick.
    pub(crate) fn beat(&self, rec: &Record) -> Result<(), i32> {
        let mut buf = FixedBuf::<RECORD_LEN>::new();
        let _ = write_record(&mut buf, rec);
        crate::proc::sys::write_all_with(buf.as_bytes(), |rest, at| {
            rustix::io::pwrite(&self.fd, rest, at)
        })
    }
}

/// Reads the record at `path`, refusing anything but a regular file.
pub fn read(path: &Path) -> Result<Option<Record>, FileError> {
    let fd = open_checked(path, OFlags::RDONLY)?;
    let mut buf = [0u8; RECORD_LEN];
    let n = loop {
        match rustix::io::read(&fd, &mut buf) {
            Err(Errno::INTR) => continue,
            other => break other.map_err(|e| FileError::Io(e.raw_os_error()))?,
        }
    };
    Ok(buf.get(..n).and_then(parse_record))
}
