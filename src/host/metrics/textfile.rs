//! The metrics textfile for node_exporter's textfile collector: rewritten after every
//! tick, atomically. The exposition goes to a temporary name in the same directory (one
//! that does not end in `.prom`, so the collector never reads it half-written), then is
//! renamed over the `.prom` file. The directory is opened at start-up, the buffer reserved
//! then: a write allocates nothing.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fd::OwnedFd;
use rustix::fs::{AtFlags, FileType, Mode, OFlags, CWD};
use rustix::io::Errno;

use crate::host::heartbeat::{open_regular_at, FileError};
use crate::host::metrics::{write as write_metrics, Snapshot};
use crate::text::ReservedBuf;

/// Room for the exposition: about 3 KiB, and up to 20 top trees of two series each with
/// a container id and a pod name (about 600 bytes per tree).
const EXPOSITION_CAP: usize = 32 * 1024;

pub struct Textfile {
    dir: OwnedFd,
    name: CString,
    tmp: CString,
    buf: ReservedBuf,
}

/// The directory a textfile path is in (`.` for a bare name).
pub(crate) fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

impl Textfile {
    /// Start-up: the directory must exist and the name end in `.prom` (the collector reads
    /// only those).
    pub fn open(path: &Path) -> Result<Self, String> {
        let file = path
            .file_name()
            .filter(|n| n.as_bytes().ends_with(b".prom"))
            .ok_or_else(|| format!("{} does not name a *.prom file", path.display()))?;
        let dir = dir_of(path);
        let fd = rustix::fs::openat(
            CWD,
            &dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| format!("cannot open the directory {}: {e}", dir.display()))?;
        let name = CString::new(file.as_bytes()).map_err(|e| e.to_string())?;
        let mut tmp = file.as_bytes().to_vec();
        tmp.extend_from_slice(b".tmp");
        let tmp = CString::new(tmp).map_err(|e| e.to_string())?;
        Ok(Textfile {
            dir: fd,
            name,
            tmp,
            buf: ReservedBuf::with_capacity(EXPOSITION_CAP),
        })
    }

    /// Writes `snapshot` in place of the last one; why it could not. The temporary name
    /// is opened as the heartbeat is: a symlink or a FIFO there (someone else's) is
    /// refused at once instead of followed or blocked on.
    pub fn write(&mut self, snapshot: &Snapshot) -> Result<(), FileError> {
        self.buf.clear();
        let _ = write_metrics(&mut self.buf, snapshot);
        let fd = open_regular_at(
            &self.dir,
            self.tmp.as_c_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC,
            Mode::from_raw_mode(0o644),
        )?;
        // The collector (another user) reads it whatever the umask.
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o644))
            .map_err(|e| FileError::Io(e.raw_os_error()))?;
        crate::proc::sys::write_all_with(self.buf.as_bytes(), |rest, _| {
            rustix::io::write(&fd, rest)
        })
        .map_err(FileError::Io)?;
        drop(fd);
        rustix::fs::renameat(
            &self.dir,
            self.tmp.as_c_str(),
            &self.dir,
            self.name.as_c_str(),
        )
        .map_err(|e| FileError::Io(self.real_cause(e).raw_os_error()))
    }

    /// Under Landlock, replacing a directory at the name is refused with EACCES before
    /// the kernel would say EISDIR (issue 19): say what is really there. Other refusals
    /// in this directory come from permissions (the sandbox allows creating, writing and
    /// renaming regular files in it).
    fn real_cause(&self, e: Errno) -> Errno {
        if e != Errno::ACCESS {
            return e;
        }
        match rustix::fs::statat(&self.dir, self.name.as_c_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => Errno::ISDIR,
            _ => e,
        }
    }
}
