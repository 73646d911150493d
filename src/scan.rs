//! One pass over `/proc`: which processes match, how old they are, whose orphans they are
//! and which container they run in.
//!
//! Reads through [`crate::sys`] only and parses with [`crate::parse`]. Everything lives in
//! fixed buffers owned by the [`Scanner`] and the caller's [`ScanReport`], so a scan
//! allocates nothing. A process that vanishes mid-scan is skipped; one whose files are
//! unreadable is counted; only an unreadable `/proc` itself fails the scan.

use core::mem::MaybeUninit;
use std::path::Path;

use heapless::Vec;

use crate::parse::cgroup::{self, Runtime, ID_LEN};
use crate::parse::cmdline::{Matcher, PatternSet, ShownCmdline};
use crate::parse::pid_stat;
use crate::parse::proc_stat::BtimeFinder;
use crate::sys::{PidFile, ProcDir, ReadError};

/// The most matching processes one scan keeps (tops and their matching descendants). The
/// rest are counted in [`ScanReport::not_tracked`].
pub const MAX_FOUND: usize = 256;
/// Longest comm the kernel keeps (TASK_COMM_LEN - 1 for tasks; kernel threads up to 63).
pub const COMM_LEN: usize = 64;
/// The most init names.
pub const MAX_INIT_NAMES: usize = 16;

const DIR_BUF: usize = 16 * 1024;
const CMDLINE_BUF: usize = 4096;
const STAT_BUF: usize = 1024;
const CGROUP_BUF: usize = 4096;

pub type Comm = Vec<u8, COMM_LEN>;
pub type InitNames = Vec<Vec<u8, 16>, MAX_INIT_NAMES>;

/// What to look for.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    pub include: PatternSet,
    pub exclude: PatternSet,
    /// Comms of the processes that adopt orphans.
    pub init_names: InitNames,
    /// A process is over the threshold when its age is strictly greater than this.
    pub age_threshold_s: u64,
    /// Only orphans qualify for the threshold.
    pub orphans_only: bool,
}

/// A container, by runtime and full id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Container {
    pub runtime: Runtime,
    pub id: [u8; ID_LEN],
}

impl Container {
    pub fn id_str(&self) -> &str {
        core::str::from_utf8(&self.id).unwrap_or("")
    }

    /// The 12-digit short form `docker ps` shows.
    pub fn short_id(&self) -> &str {
        self.id_str().get(..12).unwrap_or("")
    }
}

/// One matching process, as reported.
#[derive(Clone, Debug)]
pub struct Found {
    pub pid: u32,
    pub ppid: u32,
    /// `starttime` from stat: with the pid, it names one process (a reused pid starts later).
    pub start_ticks: u64,
    pub age_ms: u64,
    /// CPU time used, user plus system, in hundredths of a second.
    pub cpu_centis: u64,
    pub state: u8,
    pub num_threads: u64,
    pub rss_pages: u64,
    pub orphan: bool,
    /// The parent's comm (empty when the parent could not be read).
    pub parent: Comm,
    pub container: Option<Container>,
    pub cmdline: ShownCmdline,
    /// Matching processes below this one (a wrapper's pytest, xdist workers).
    pub descendants: u32,
    /// Older than the threshold (and an orphan, with orphans-only): alert-worthy.
    pub over_threshold: bool,
}

impl Found {
    /// A process with only its identity set: for tests, fuzzing and benchmarks.
    pub fn blank(pid: u32, start_ticks: u64) -> Self {
        Found {
            pid,
            ppid: 0,
            start_ticks,
            age_ms: 0,
            cpu_centis: 0,
            state: b'S',
            num_threads: 1,
            rss_pages: 0,
            orphan: false,
            parent: Comm::new(),
            container: None,
            cmdline: ShownCmdline::default(),
            descendants: 0,
            over_threshold: false,
        }
    }

    pub fn age_s(&self) -> u64 {
        self.age_ms / 1000
    }
}

/// The result of one scan. Allocate once, reuse every tick.
///
/// `found` is reserved for [`MAX_FOUND`] at start-up and never grows past it (see
/// [`ScanReport::push`]), so a scan allocates nothing; unlike an inline array, reserved
/// capacity costs memory only as it is used.
#[derive(Debug)]
pub struct ScanReport {
    /// Top matching processes, in pid order.
    pub found: std::vec::Vec<Found>,
    /// Matching processes beyond [`MAX_FOUND`].
    pub not_tracked: u32,
    /// Entries in `/proc` that were pids.
    pub pids_seen: u32,
    /// Pids whose files we were refused (hidepid, other users).
    pub denied: u32,
    /// Pids skipped for malformed content or an I/O error other than vanishing.
    pub errors: u32,
    /// The boot-clock time the scan used, in milliseconds.
    pub now_ms: u64,
}

impl Default for ScanReport {
    fn default() -> Self {
        ScanReport {
            found: std::vec::Vec::with_capacity(MAX_FOUND),
            not_tracked: 0,
            pids_seen: 0,
            denied: 0,
            errors: 0,
            now_ms: 0,
        }
    }
}

impl ScanReport {
    /// Adds a match, or counts it in `not_tracked` when [`MAX_FOUND`] are held already.
    /// Returns whether it was kept. Never reallocates.
    pub fn push(&mut self, found: Found) -> bool {
        if self.found.len() < MAX_FOUND.min(self.found.capacity()) {
            self.found.push(found);
            true
        } else {
            self.not_tracked = self.not_tracked.saturating_add(1);
            false
        }
    }

    pub fn clear(&mut self) {
        self.found.clear();
        self.not_tracked = 0;
        self.pids_seen = 0;
        self.denied = 0;
        self.errors = 0;
        self.now_ms = 0;
    }

    pub fn any_over_threshold(&self) -> bool {
        self.found.iter().any(|f| f.over_threshold)
    }
}

/// Why a scan produced nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanError {
    /// `/proc` could not be listed (errno).
    ProcUnreadable(i32),
}

/// What this `/proc` shows of the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Kernel threads are visible: the host PID namespace.
    Host,
    /// We are pid 1: a container's own PID namespace.
    OwnNamespaceAsInit,
    /// No kernel thread visible: another PID namespace, or `hidepid`/`subset=pid`.
    Restricted,
}

/// Scratch buffers, kept out of the stack frame of each call.
struct Buffers {
    dir: [MaybeUninit<u8>; DIR_BUF],
    cmdline: [u8; CMDLINE_BUF],
    stat: [u8; STAT_BUF],
    cgroup: [u8; CGROUP_BUF],
}

pub struct Scanner {
    proc: ProcDir,
    self_pid: Option<u32>,
    clk_tck: u64,
    cfg: ScanConfig,
    bufs: Box<Buffers>,
}

impl Scanner {
    /// Opens the `/proc` root. Start-up only (this allocates the buffers).
    pub fn new(proc_root: &Path, cfg: ScanConfig) -> Result<Self, rustix::io::Errno> {
        let proc = ProcDir::open(proc_root)?;
        let self_pid = proc.self_pid();
        Ok(Scanner {
            proc,
            self_pid,
            clk_tck: crate::sys::clock_ticks_per_second().max(1),
            cfg,
            bufs: Box::new(Buffers {
                dir: [MaybeUninit::uninit(); DIR_BUF],
                cmdline: [0; CMDLINE_BUF],
                stat: [0; STAT_BUF],
                cgroup: [0; CGROUP_BUF],
            }),
        })
    }

    pub fn config(&self) -> &ScanConfig {
        &self.cfg
    }

    pub fn self_pid(&self) -> Option<u32> {
        self.self_pid
    }

    pub fn clk_tck(&self) -> u64 {
        self.clk_tck
    }

    /// Boot time (seconds since the epoch) from `/proc/stat`, for showing wall-clock dates.
    pub fn boot_time_s(&mut self) -> Option<u64> {
        let mut finder = BtimeFinder::default();
        self.proc
            .stream(c"stat", &mut self.bufs.cmdline, |chunk| {
                finder.feed(chunk);
                !finder.done()
            })
            .ok()?;
        finder.finish().ok()
    }

    /// Whether this `/proc` is the host's. Kernel threads (ppid 0, pid other than 1) are
    /// visible only in the host PID namespace, and `kthreadd` is pid 2 there.
    pub fn visibility(&mut self) -> Visibility {
        if self.self_pid == Some(1) {
            return Visibility::OwnNamespaceAsInit;
        }
        let n = self.proc.read_pid(2, PidFile::Stat, &mut self.bufs.stat);
        let kthreadd = n
            .ok()
            .and_then(|n| self.bufs.stat.get(..n))
            .and_then(|line| pid_stat::parse(line).ok())
            .is_some_and(|s| s.ppid == 0);
        if kthreadd {
            Visibility::Host
        } else {
            Visibility::Restricted
        }
    }

    /// Scans `/proc` at boot-clock time `now_ms` into `report` (cleared first).
    pub fn scan(&mut self, now_ms: u64, report: &mut ScanReport) -> Result<(), ScanError> {
        report.clear();
        report.now_ms = now_ms;
        let Scanner {
            proc,
            self_pid,
            clk_tck,
            cfg,
            bufs,
        } = self;
        let Buffers {
            dir,
            cmdline,
            stat,
            cgroup: cgroup_buf,
        } = &mut **bufs;
        let listing = proc.for_each_pid(dir, |pid| {
            report.pids_seen = report.pids_seen.saturating_add(1);
            if Some(pid) == *self_pid {
                return;
            }
            match examine(proc, cfg, *clk_tck, now_ms, pid, cmdline, stat, cgroup_buf) {
                Ok(Some(found)) => {
                    report.push(found);
                }
                Ok(None) | Err(ReadError::Gone) => {}
                Err(ReadError::Denied) => report.denied = report.denied.saturating_add(1),
                Err(ReadError::Io(_)) => report.errors = report.errors.saturating_add(1),
            }
        });
        if let Err(e) = listing {
            return Err(ScanError::ProcUnreadable(match e {
                ReadError::Io(errno) => errno,
                ReadError::Denied => rustix::io::Errno::ACCESS.raw_os_error(),
                ReadError::Gone => rustix::io::Errno::NOENT.raw_os_error(),
            }));
        }
        fold_descendants(&mut report.found);
        // Listing order is the filesystem's; people and tests read pid order. In place,
        // no allocation.
        report.found.sort_unstable_by_key(|f| f.pid);
        for found in report.found.iter_mut() {
            // The parent's comm names the adopter of an orphan (tini, systemd, …).
            found.parent.clear();
            if let Ok(n) = proc.read_pid(found.ppid, PidFile::Stat, stat) {
                if let Some(parent) = stat.get(..n).and_then(|l| pid_stat::parse(l).ok()) {
                    let comm = parent
                        .comm
                        .get(..COMM_LEN.min(parent.comm.len()))
                        .unwrap_or(&[]);
                    let _ = found.parent.extend_from_slice(comm);
                }
            }
            found.orphan = found.ppid == 1
                || (!found.parent.is_empty()
                    && cfg
                        .init_names
                        .iter()
                        .any(|n| n.as_slice() == found.parent.as_slice()));
            found.over_threshold =
                found.age_ms / 1000 > cfg.age_threshold_s && (!cfg.orphans_only || found.orphan);
        }
        Ok(())
    }
}

/// Reads one pid: cmdline first (the cheap test that rejects almost every process), then
/// stat and cgroup for the ones that match.
#[allow(clippy::too_many_arguments)]
fn examine(
    proc: &ProcDir,
    cfg: &ScanConfig,
    clk_tck: u64,
    now_ms: u64,
    pid: u32,
    cmdline_buf: &mut [u8],
    stat_buf: &mut [u8],
    cgroup_buf: &mut [u8],
) -> Result<Option<Found>, ReadError> {
    let mut matcher = Matcher::new(&cfg.include, &cfg.exclude);
    let mut shown = ShownCmdline::default();
    let capacity = cmdline_buf.len();
    let mut first = true;
    let total = proc.stream_pid(pid, PidFile::Cmdline, cmdline_buf, |chunk| {
        // What is shown comes from the first chunk. Most cmdlines fit in one read and most
        // do not match, so copy it now only when a second read will overwrite it.
        if first && chunk.len() == capacity {
            shown.feed(chunk);
        }
        first = false;
        matcher.feed(chunk);
        !(matcher.decided() && shown.truncated())
    })?;
    if !matcher.is_match() {
        return Ok(None);
    }
    if usize::try_from(total).is_ok_and(|t| t < capacity) {
        shown.feed(cmdline_buf.get(..usize::try_from(total).unwrap_or(0)).unwrap_or(&[]));
    }

    let n = proc.read_pid(pid, PidFile::Stat, stat_buf)?;
    if n == 0 {
        return Err(ReadError::Gone);
    }
    let Ok(stat) = pid_stat::parse(stat_buf.get(..n).unwrap_or(&[])) else {
        return Err(ReadError::Io(0));
    };
    if stat.pid != pid {
        return Err(ReadError::Io(0));
    }

    let container = match proc.read_pid(pid, PidFile::Cgroup, cgroup_buf) {
        Ok(n) => {
            let mut text = cgroup_buf.get(..n).unwrap_or(&[]);
            if n == cgroup_buf.len() {
                // Cut: keep whole lines only, so a cut id cannot pass for a short one.
                let end = text
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i.saturating_add(1));
                text = text.get(..end).unwrap_or(&[]);
            }
            cgroup::container_id(text).map(|c| {
                let mut id = [0u8; ID_LEN];
                id.copy_from_slice(c.id.get(..ID_LEN).unwrap_or(&[0; ID_LEN]));
                Container {
                    runtime: c.runtime,
                    id,
                }
            })
        }
        // A kernel without cgroups has no such file; that is no container, not a gone pid.
        Err(_) => None,
    };

    let start_ms = stat
        .starttime
        .saturating_mul(1000)
        .checked_div(clk_tck)
        .unwrap_or(0);
    let cpu_ticks = stat.utime.saturating_add(stat.stime);
    Ok(Some(Found {
        pid,
        ppid: stat.ppid,
        start_ticks: stat.starttime,
        age_ms: now_ms.saturating_sub(start_ms),
        cpu_centis: cpu_ticks
            .saturating_mul(100)
            .checked_div(clk_tck)
            .unwrap_or(0),
        state: stat.state,
        num_threads: stat.num_threads,
        rss_pages: stat.rss_pages,
        orphan: false,
        parent: Comm::new(),
        container,
        cmdline: shown,
        descendants: 0,
        over_threshold: false,
    }))
}

/// Folds each matching process into its topmost matching ancestor, so a wrapper and its
/// pytest (or pytest and its xdist workers) are one line with a descendant count, as
/// monit reports. A parent counts only if it started no later than the child, so a
/// reused pid is not taken for a parent.
fn fold_descendants(found: &mut std::vec::Vec<Found>) {
    let mut parent: [Option<usize>; MAX_FOUND] = [None; MAX_FOUND];
    for (slot, child) in parent.iter_mut().zip(found.iter()) {
        *slot = found.iter().position(|p| {
            p.pid == child.ppid && p.pid != child.pid && p.start_ticks <= child.start_ticks
        });
    }
    let mut is_top = [true; MAX_FOUND];
    for i in 0..found.len() {
        let mut top = i;
        let mut reached_root = false;
        // Bounded walk: a real chain is never longer than the list; a cycle (only a forged
        // tree can hold one) leaves every member its own top.
        for _ in 0..=found.len() {
            match parent.get(top).copied().flatten() {
                Some(p) => top = p,
                None => {
                    reached_root = true;
                    break;
                }
            }
        }
        if reached_root && top != i {
            if let Some(flag) = is_top.get_mut(i) {
                *flag = false;
            }
            if let Some(t) = found.get_mut(top) {
                t.descendants = t.descendants.saturating_add(1);
            }
        }
    }
    let mut i = 0;
    found.retain(|_| {
        let keep = is_top.get(i).copied().unwrap_or(true);
        i = i.saturating_add(1);
        keep
    });
}
