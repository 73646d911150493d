//! One pass over `/proc`: which processes match, how old they are, whose orphans they are
//! and which container they run in. It observes; whether a process lingers is
//! [`crate::policy`]'s to say.
//!
//! Reads through [`crate::sys`] only and parses with [`crate::parse`]. Everything lives in
//! fixed buffers owned by the [`Scanner`] and the caller's [`ScanReport`], so a scan
//! allocates nothing. A process that vanishes mid-scan is skipped; one whose files are
//! unreadable is counted; only an unreadable `/proc` itself fails the scan.
//!
//! When more processes match than the report holds, it keeps the oldest (the lingerers)
//! and every process the caller asked to watch (the alert table's), and only counts the
//! rest: so a tracked process is missing from a report only when it is gone or no longer
//! matches, never because of a capacity.

use core::mem::MaybeUninit;
use std::path::Path;

use heapless::Vec;

use crate::parse::cgroup::{self, Pod, Runtime, ID_LEN};
use crate::parse::cmdline::{Matcher, PatternSet, ShownCmdline};
use crate::parse::mountinfo::{ProcMount, ProcMountFinder};
use crate::parse::pid_stat::{self, PidStat};
use crate::parse::proc_stat::BtimeFinder;
use crate::parse::status;
use crate::sys::{PidFile, ProcDir, ReadError};

/// The most matching processes one report holds (tops and their matching descendants).
/// The rest are counted in [`ScanReport::unstored`].
pub const MAX_FOUND: usize = 256;
/// Longest comm the kernel keeps (TASK_COMM_LEN - 1 for tasks; kernel threads up to 63).
pub(crate) const COMM_LEN: usize = 64;
/// The most init names.
pub(crate) const MAX_INIT_NAMES: usize = 16;
/// How much of a cmdline is read: a pattern past the first MiB is not seen. Linux allows
/// longer argument lists, but none that a test runner is started with.
pub(crate) const CMDLINE_READ_MAX: u64 = 1 << 20;
/// How much of `/proc/stat` is read looking for `btime` (its `intr` line can pass 64 KiB).
pub(crate) const PROC_STAT_READ_MAX: u64 = 1 << 20;
/// How much of `/proc/self/mountinfo` is read (a node with thousands of mounts).
pub(crate) const MOUNTINFO_READ_MAX: u64 = 16 << 20;

/// The getdents64 buffer: small on purpose. Under a memory limit close to the working set
/// (see [`crate::memory`]), a big buffer makes each call instantiate hundreds of pid
/// dentries that wait unreferenced on the LRU until their cmdline is read; reclaim frees
/// those first and the lookups allocate them again. With 1 KiB instead of 16, 4,000 host
/// processes at 6 MiB survived 120 s instead of 4 to 18 (BENCHMARKS.md). It still holds
/// any one record (19 bytes + a name of at most 255).
const DIR_BUF: usize = 1024;
const CMDLINE_BUF: usize = 4096;
const STAT_BUF: usize = 1024;
const CGROUP_BUF: usize = 4096;

pub(crate) type Comm = Vec<u8, COMM_LEN>;
/// A launcher's comm: a process names itself in at most 15 bytes (TASK_COMM_LEN - 1).
pub type ShortComm = Vec<u8, 16>;
pub(crate) type InitNames = Vec<Vec<u8, 16>, MAX_INIT_NAMES>;

/// What to look for.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    pub include: PatternSet,
    pub exclude: PatternSet,
    /// Comms of the processes that adopt orphans.
    pub init_names: InitNames,
    /// Matches that do not fit the report and are older than this are counted apart (the
    /// alert threshold, so the caller can tell how many of them linger).
    pub older_than_s: u64,
}

/// One process: a pid with its start time (a reused pid starts later).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProcessKey {
    pub pid: u32,
    pub start_ticks: u64,
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
    pub(crate) fn short_id(&self) -> &str {
        self.id_str().get(..12).unwrap_or("")
    }
}

/// Why a process is an orphan: every reason that holds, as bits. `scan` can see
/// [`OrphanWhy::INIT`] and [`OrphanWhy::SESSION`]; the daemon, which remembers parents from
/// scan to scan, adds [`OrphanWhy::LAUNCHER`] ([`crate::lineage`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OrphanWhy(u8);

impl OrphanWhy {
    pub const NONE: Self = OrphanWhy(0);
    /// Adopted by pid 1, by the init of a PID namespace, or by a comm in the init names.
    pub const INIT: Self = OrphanWhy(1);
    /// Its session leader is gone (no such pid, a later process with that pid, a zombie).
    pub const SESSION: Self = OrphanWhy(2);
    /// The parent the daemon first saw it with has died.
    pub const LAUNCHER: Self = OrphanWhy(4);
    /// Each reason with its name (JSON, labels) and its table abbreviation.
    pub const NAMED: [(OrphanWhy, &'static str, &'static str); 3] = [
        (OrphanWhy::INIT, "init", "init"),
        (OrphanWhy::SESSION, "session", "sess"),
        (OrphanWhy::LAUNCHER, "launcher", "lnch"),
    ];

    /// From bits, keeping only the reasons that exist (for fuzzing and tests).
    pub fn from_bits(bits: u8) -> Self {
        OrphanWhy(bits & 7)
    }

    /// Whether any reason holds: what `orphan` means.
    pub fn any(self) -> bool {
        self.0 != 0
    }

    pub fn has(self, reason: OrphanWhy) -> bool {
        self.0 & reason.0 == reason.0 && reason.0 != 0
    }

    #[must_use]
    pub fn with(self, reason: OrphanWhy) -> Self {
        OrphanWhy(self.0 | reason.0)
    }

    /// The names (`"init"`, `"session"`, `"launcher"`) of the reasons that hold, in that
    /// order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMED
            .into_iter()
            .filter(move |(r, _, _)| self.has(*r))
            .map(|(_, name, _)| name)
    }

    /// The same, abbreviated for the table's ORPHAN column.
    pub fn abbreviations(self) -> impl Iterator<Item = &'static str> {
        Self::NAMED
            .into_iter()
            .filter(move |(r, _, _)| self.has(*r))
            .map(|(_, _, short)| short)
    }
}

/// Which kind of init adopted an orphan (the reason [`OrphanWhy::INIT`] in words).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adopter {
    /// Pid 1 of the `/proc` scanned (the host's init, with `pid: host`).
    Pid1,
    /// The init of a PID namespace (a container's pid 1): its `NSpid` ends in 1.
    NamespaceInit,
    /// A comm in the configured init names (a subreaper an operator named).
    Named,
}

/// The parent the daemon first saw a process with, now dead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Launcher {
    pub pid: u32,
    pub comm: ShortComm,
    /// Seconds since the daemon noticed it gone (at the scan this process was last seen).
    pub gone_for_s: u64,
}

/// One matching process, as observed.
#[derive(Clone, Debug)]
pub struct Found {
    pub pid: u32,
    pub ppid: u32,
    /// `starttime` from stat: with the pid, it names one process.
    pub start_ticks: u64,
    pub age_ms: u64,
    /// CPU time used, user plus system, in hundredths of a second.
    pub cpu_centis: u64,
    pub state: u8,
    pub num_threads: u64,
    pub rss_pages: u64,
    /// Why it is an orphan (none: it is not one).
    pub orphan_why: OrphanWhy,
    /// Which init adopted it, when [`OrphanWhy::INIT`] holds.
    pub adopter: Option<Adopter>,
    /// The session id (the session leader's pid; 0 when unknown).
    pub session: u32,
    /// The parent's comm (empty when the parent could not be read).
    pub parent: Comm,
    /// The parent's start time (0 when it could not be read, or the pid belongs to a
    /// process younger than this one): with `ppid`, the parent as one process.
    pub parent_start_ticks: u64,
    /// The dead launcher, when [`OrphanWhy::LAUNCHER`] holds.
    pub launcher: Option<Launcher>,
    pub container: Option<Container>,
    /// The Kubernetes pod, from the same cgroup path.
    pub pod: Option<Pod>,
    pub cmdline: ShownCmdline,
    /// Matching processes below this one (a wrapper's pytest, xdist workers).
    pub descendants: u32,
    /// A matching ancestor holds this one as a descendant: not a line of its own.
    pub folded: bool,
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
            orphan_why: OrphanWhy::NONE,
            adopter: None,
            session: 0,
            parent: Comm::new(),
            parent_start_ticks: 0,
            launcher: None,
            container: None,
            pod: None,
            cmdline: ShownCmdline::default(),
            descendants: 0,
            folded: false,
        }
    }

    /// An orphan: at least one reason holds.
    pub fn orphan(&self) -> bool {
        self.orphan_why.any()
    }

    pub fn key(&self) -> ProcessKey {
        ProcessKey {
            pid: self.pid,
            start_ticks: self.start_ticks,
        }
    }

    pub fn age_s(&self) -> u64 {
        self.age_ms / 1000
    }

    /// Older first; among equals, the lower pid.
    fn is_younger_than(&self, other: &Found) -> bool {
        (self.start_ticks, self.pid) > (other.start_ticks, other.pid)
    }
}

/// A process with every field drawn from the fuzzer's bytes, kept as the scanner keeps
/// them: a hex container id, a pod uid of the right shape, a comm of at most 64 bytes, a
/// cmdline fed chunk by chunk.
#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Found {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let hex = |raw: &[u8], out: &mut [u8]| {
            for (d, s) in out.iter_mut().zip(raw) {
                let [_, low] = crate::text::hex_byte(*s);
                *d = low;
            }
        };
        let mut f = Found::blank(u.arbitrary()?, u.arbitrary()?);
        (f.ppid, f.age_ms, f.cpu_centis, f.state) = u.arbitrary()?;
        let why: u8 = u.arbitrary()?;
        f.orphan_why = OrphanWhy::from_bits(why);
        (f.session, f.descendants, f.folded) = u.arbitrary()?;
        if f.orphan_why.has(OrphanWhy::INIT) {
            f.adopter = Some(*u.choose(&[Adopter::Pid1, Adopter::NamespaceInit, Adopter::Named])?);
        }
        if f.orphan_why.has(OrphanWhy::LAUNCHER) {
            let comm: &[u8] = u.arbitrary()?;
            let mut short = ShortComm::new();
            let _ = short.extend_from_slice(comm.get(..16.min(comm.len())).unwrap_or(&[]));
            f.launcher = Some(Launcher { pid: u.arbitrary()?, comm: short, gone_for_s: u.arbitrary()? });
        }
        let parent: &[u8] = u.arbitrary()?;
        let _ = f.parent.extend_from_slice(parent.get(..COMM_LEN.min(parent.len())).unwrap_or(&[]));
        if let Some(raw) = u.arbitrary::<Option<[u8; ID_LEN]>>()? {
            let mut id = [0u8; ID_LEN];
            hex(&raw, &mut id);
            f.container = Some(Container { runtime: Runtime::Docker, id });
        }
        if let Some(raw) = u.arbitrary::<Option<[u8; 36]>>()? {
            let mut uid = [0u8; 36];
            hex(&raw, &mut uid);
            for at in crate::parse::cgroup::POD_UID_SEPARATORS {
                if let Some(b) = uid.get_mut(at) {
                    *b = b'-';
                }
            }
            let line = [&b"0::/kubepods/pod"[..], &uid, b"/x\n"].concat();
            f.pod = cgroup::identify(&line).pod;
        }
        for chunk in u.arbitrary::<std::vec::Vec<&[u8]>>()? {
            f.cmdline.feed(chunk);
        }
        Ok(f)
    }
}

/// Matches the report could not hold: counted, not shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unstored {
    pub count: u32,
    /// Of them, older than [`ScanConfig::older_than_s`].
    pub older: u32,
    /// Of those, orphans.
    pub older_orphans: u32,
}

/// The result of one scan. Allocate once, reuse every tick.
///
/// The matches are reserved for [`MAX_FOUND`] at start-up and [`ScanReport::insert`] is the
/// only way in, so the report never grows past it and a scan allocates nothing; unlike an
/// inline array, reserved capacity costs memory only as it is used.
#[derive(Debug)]
pub struct ScanReport {
    found: std::vec::Vec<Found>,
    /// Which of `found` the caller asked to watch: never evicted.
    pinned: [bool; MAX_FOUND],
    pub unstored: Unstored,
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
            pinned: [false; MAX_FOUND],
            unstored: Unstored::default(),
            pids_seen: 0,
            denied: 0,
            errors: 0,
            now_ms: 0,
        }
    }
}

impl ScanReport {
    /// Every stored match (in pid order after a scan).
    pub fn all(&self) -> &[Found] {
        &self.found
    }

    /// Every stored match, to add what only the daemon knows (its launcher).
    pub fn all_mut(&mut self) -> &mut [Found] {
        &mut self.found
    }

    /// The matches that are lines of their own: not held by a matching ancestor.
    pub fn tops(&self) -> impl Iterator<Item = &Found> {
        self.found.iter().filter(|f| !f.folded)
    }

    /// The stored match that is this process, if any.
    pub fn get(&self, key: ProcessKey) -> Option<&Found> {
        self.found.iter().find(|f| f.key() == key)
    }

    /// Stores a match, keeping the oldest when full: returns the one that did not fit
    /// (the newcomer, or the youngest unpinned match it displaced). A pinned match
    /// displaces the youngest unpinned one whatever its age. Never reallocates.
    pub fn insert(&mut self, found: Found, pinned: bool) -> Option<Found> {
        if self.found.len() < MAX_FOUND.min(self.found.capacity()) {
            if let Some(slot) = self.pinned.get_mut(self.found.len()) {
                *slot = pinned;
            }
            self.found.push(found);
            return None;
        }
        let youngest = (0..self.found.len())
            .filter(|&i| !self.pinned.get(i).copied().unwrap_or(true))
            .max_by(|&a, &b| {
                let (a, b) = (self.found.get(a), self.found.get(b));
                let key = |f: Option<&Found>| f.map(|f| (f.start_ticks, f.pid));
                key(a).cmp(&key(b))
            });
        match youngest.and_then(|i| self.found.get_mut(i).map(|slot| (i, slot))) {
            Some((i, slot)) if pinned || slot.is_younger_than(&found) => {
                if let Some(p) = self.pinned.get_mut(i) {
                    *p = pinned;
                }
                Some(core::mem::replace(slot, found))
            }
            _ => Some(found),
        }
    }

    fn clear(&mut self, now_ms: u64) {
        self.found.clear();
        self.pinned = [false; MAX_FOUND];
        self.unstored = Unstored::default();
        self.pids_seen = 0;
        self.denied = 0;
        self.errors = 0;
        self.now_ms = now_ms;
    }
}

/// Why a scan produced nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanError {
    /// `/proc` could not be listed (errno).
    ProcUnreadable(i32),
}

/// Which PID namespace this `/proc` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Namespace {
    /// Kernel threads are visible: the host PID namespace.
    Host,
    /// We are pid 1: a container's own PID namespace.
    OwnAsInit,
    /// No kernel thread visible: another PID namespace, or `hidepid`.
    Restricted,
}

/// Why a scan cannot see every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Blindness {
    /// `/proc` is mounted with `hidepid` and hides other users' processes from us.
    HidePid,
    /// Reading some pids' files was refused.
    Denied(u32),
}

/// Why one pid was skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Skip {
    Gone,
    Denied,
    /// Content that does not parse, or a stat of another pid.
    Malformed,
    Io,
}

impl From<ReadError> for Skip {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Gone => Skip::Gone,
            ReadError::Denied => Skip::Denied,
            ReadError::Io(_) => Skip::Io,
        }
    }
}

/// Scratch buffers, kept out of the stack frame of each call.
struct Buffers {
    dir: [MaybeUninit<u8>; DIR_BUF],
    cmdline: [u8; CMDLINE_BUF],
    stat: [u8; STAT_BUF],
    cgroup: [u8; CGROUP_BUF],
}

/// What `examine` needs besides the buffers: the open root and what to look for.
struct PidReader<'a> {
    proc: &'a ProcDir,
    cfg: &'a ScanConfig,
    clk_tck: u64,
    now_ms: u64,
}

pub struct Scanner {
    proc: ProcDir,
    self_pid: Option<u32>,
    clk_tck: u64,
    cfg: ScanConfig,
    mount: Option<ProcMount>,
    bufs: Box<Buffers>,
}

impl Scanner {
    /// Opens the `/proc` root and reads how it is mounted. Start-up only (this allocates
    /// the buffers).
    pub fn new(proc_root: &Path, cfg: ScanConfig) -> std::io::Result<Self> {
        let proc = ProcDir::open(proc_root)?;
        let self_pid = proc.self_pid();
        let mut bufs = Box::new(Buffers {
            dir: [MaybeUninit::uninit(); DIR_BUF],
            cmdline: [0; CMDLINE_BUF],
            stat: [0; STAT_BUF],
            cgroup: [0; CGROUP_BUF],
        });
        let mount = proc.device().and_then(|dev| {
            let mut finder = ProcMountFinder::new(dev);
            let path = Path::new("/proc/self/mountinfo");
            crate::sys::stream_file(path, &mut bufs.cmdline, MOUNTINFO_READ_MAX, |chunk| {
                finder.feed(chunk);
                !finder.done()
            })
            .ok()?;
            finder.finish()
        });
        Ok(Scanner {
            proc,
            self_pid,
            clk_tck: crate::sys::clock_ticks_per_second().max(1),
            cfg,
            mount,
            bufs,
        })
    }

    pub fn clk_tck(&self) -> u64 {
        self.clk_tck
    }

    /// Boot time (seconds since the epoch) from `/proc/stat`, for showing wall-clock dates.
    pub fn boot_time_s(&mut self) -> Option<u64> {
        let mut finder = BtimeFinder::default();
        self.proc
            .stream(c"stat", &mut self.bufs.cmdline, PROC_STAT_READ_MAX, |chunk| {
                finder.feed(chunk);
                !finder.done()
            })
            .ok()?;
        finder.finish().ok()
    }

    /// Whether this `/proc` is the host's. Kernel threads (ppid 0, pid other than 1) are
    /// visible only in the host PID namespace, and `kthreadd` is pid 2 there.
    pub fn namespace(&mut self) -> Namespace {
        if self.self_pid == Some(1) {
            return Namespace::OwnAsInit;
        }
        let n = self.proc.read_pid(2, PidFile::Stat, &mut self.bufs.stat);
        let kthreadd = n
            .ok()
            .and_then(|n| self.bufs.stat.get(..n))
            .and_then(|line| pid_stat::parse(line).ok())
            .is_some_and(|s| s.ppid == 0);
        if kthreadd {
            Namespace::Host
        } else {
            Namespace::Restricted
        }
    }

    /// Whether the last scan (`report`) was blind to some processes: `hidepid` hides
    /// other users' processes from us (we see no kernel thread under a `hidepid` mount),
    /// or reads were refused. Another PID namespace without `hidepid` is not blindness:
    /// a sidecar may watch its own namespace on purpose.
    pub(crate) fn blindness(&mut self, report: &ScanReport) -> Option<Blindness> {
        let hidepid = self.mount.is_some_and(|m| m.hidepid);
        if hidepid && self.namespace() == Namespace::Restricted {
            Some(Blindness::HidePid)
        } else if report.denied > 0 {
            Some(Blindness::Denied(report.denied))
        } else {
            None
        }
    }

    /// Scans `/proc` at boot-clock time `now_ms` into `report` (cleared first). The
    /// processes in `watch` (sorted) are always stored while they exist and match.
    pub fn scan(
        &mut self,
        now_ms: u64,
        watch: &[ProcessKey],
        report: &mut ScanReport,
    ) -> Result<(), ScanError> {
        report.clear(now_ms);
        let Scanner {
            proc,
            self_pid,
            clk_tck,
            cfg,
            bufs,
            ..
        } = self;
        let reader = PidReader {
            proc,
            cfg,
            clk_tck: *clk_tck,
            now_ms,
        };
        let Buffers {
            dir,
            cmdline,
            stat,
            cgroup,
        } = &mut **bufs;
        let mut bufs = PidBuffers {
            cmdline,
            stat,
            cgroup,
            seen: Lineage::default(),
        };
        let listing = proc.for_each_pid(dir, |pid| {
            report.pids_seen = report.pids_seen.saturating_add(1);
            if Some(pid) == *self_pid {
                return;
            }
            match reader.examine(pid, &mut bufs) {
                Ok(Some(found)) => {
                    let pinned = watch.binary_search(&found.key()).is_ok();
                    if let Some(left_out) = report.insert(found, pinned) {
                        reader.count_unstored(left_out, &mut bufs, &mut report.unstored);
                    }
                }
                Ok(None) | Err(Skip::Gone) => {}
                Err(Skip::Denied) => report.denied = report.denied.saturating_add(1),
                Err(Skip::Malformed | Skip::Io) => report.errors = report.errors.saturating_add(1),
            }
        });
        listing.map_err(|e| ScanError::ProcUnreadable(e.errno()))?;
        for found in report.found.iter_mut() {
            reader.read_lineage(found, &mut bufs);
        }
        fold_descendants(&mut report.found);
        // Listing order is the filesystem's; people and tests read pid order. In place,
        // no allocation.
        report.found.sort_unstable_by_key(|f| f.pid);
        Ok(())
    }
}

/// The per-pid buffers (the directory buffer is busy with the listing), and what this
/// scan already read of matches' parents and session leaders.
struct PidBuffers<'a> {
    cmdline: &'a mut [u8; CMDLINE_BUF],
    stat: &'a mut [u8; STAT_BUF],
    cgroup: &'a mut [u8; CGROUP_BUF],
    seen: Lineage,
}

/// The last parent and the last session leader a scan read. Matches share them (a
/// wrapper's workers, a job's runs, a crowd started by one shell), so each is read once
/// per scan, not once per match: what one scan sees of them, as if read together.
#[derive(Default)]
struct Lineage {
    parent: Option<(u32, ParentFacts)>,
    leader: Option<(u32, Leader)>,
}

/// A parent as its `stat` and `status` say.
#[derive(Clone, Default)]
struct ParentFacts {
    /// Its comm and start time, when its `stat` was readable.
    stat: Option<(Comm, u64)>,
    /// It is the init of a PID namespace (the last `NSpid` of its `status` is 1).
    ns_init: bool,
}

/// A session leader as its `stat` says.
#[derive(Clone, Copy)]
enum Leader {
    /// No process has its pid.
    Gone,
    /// Its `stat` was refused or did not parse: unknown is never a reason.
    Unknown,
    Alive { start_ticks: u64, exited: bool },
}

impl PidReader<'_> {
    /// Reads one pid: cmdline first (the cheap test that rejects almost every process),
    /// then stat and cgroup for the ones that match.
    fn examine(&self, pid: u32, bufs: &mut PidBuffers<'_>) -> Result<Option<Found>, Skip> {
        let Some(cmdline) = self.match_cmdline(pid, bufs.cmdline)? else {
            return Ok(None);
        };
        let n = self.proc.read_pid(pid, PidFile::Stat, bufs.stat)?;
        let stat = bufs
            .stat
            .get(..n)
            .and_then(|line| pid_stat::parse(line).ok())
            .filter(|s| s.pid == pid)
            .ok_or(if n == 0 { Skip::Gone } else { Skip::Malformed })?;
        let mut found = self.found_from(&stat, cmdline);
        (found.container, found.pod) = self.read_cgroup(pid, bufs.cgroup);
        Ok(Some(found))
    }

    /// Streams the cmdline through the matcher; the shown prefix when it matches.
    fn match_cmdline(&self, pid: u32, buf: &mut [u8]) -> Result<Option<ShownCmdline>, Skip> {
        let mut matcher = Matcher::new(&self.cfg.include, &self.cfg.exclude);
        let mut shown = ShownCmdline::default();
        let capacity = buf.len();
        let mut first = true;
        let total =
            self.proc
                .stream_pid(pid, PidFile::Cmdline, buf, CMDLINE_READ_MAX, |chunk| {
                    // What is shown comes from the first chunk. Most cmdlines fit in one
                    // read and most do not match, so copy it now only when a second read
                    // will overwrite it.
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
        if let Some(whole) = usize::try_from(total)
            .ok()
            .filter(|&t| t < capacity)
            .and_then(|t| buf.get(..t))
        {
            shown.feed(whole);
        }
        Ok(Some(shown))
    }

    fn found_from(&self, stat: &PidStat<'_>, cmdline: ShownCmdline) -> Found {
        let start_ms = stat
            .starttime
            .saturating_mul(1000)
            .checked_div(self.clk_tck)
            .unwrap_or(0);
        let cpu_ticks = stat.utime.saturating_add(stat.stime);
        Found {
            pid: stat.pid,
            ppid: stat.ppid,
            start_ticks: stat.starttime,
            age_ms: self.now_ms.saturating_sub(start_ms),
            cpu_centis: cpu_ticks
                .saturating_mul(100)
                .checked_div(self.clk_tck)
                .unwrap_or(0),
            state: stat.state,
            num_threads: stat.num_threads,
            rss_pages: stat.rss_pages,
            session: stat.session,
            cmdline,
            ..Found::blank(stat.pid, stat.starttime)
        }
    }

    /// The container and the pod from `/proc/<pid>/cgroup`; a missing file (a kernel
    /// without cgroups) is no container, not a gone pid.
    fn read_cgroup(&self, pid: u32, buf: &mut [u8]) -> (Option<Container>, Option<Pod>) {
        let Ok(n) = self.proc.read_pid(pid, PidFile::Cgroup, buf) else {
            return (None, None);
        };
        let mut text = buf.get(..n).unwrap_or(&[]);
        if n == buf.len() {
            // Cut: keep whole lines only, so a cut id cannot pass for a short one.
            let end = text
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i.saturating_add(1));
            text = text.get(..end).unwrap_or(&[]);
        }
        let identity = cgroup::identify(text);
        let container = identity.container.map(|c| {
            let mut id = [0u8; ID_LEN];
            id.copy_from_slice(c.id.get(..ID_LEN).unwrap_or(&[0; ID_LEN]));
            Container {
                runtime: c.runtime,
                id,
            }
        });
        (container, identity.pod)
    }

    /// Fills in the parent (comm and start) and why the process is an orphan, as far as
    /// one scan can see: adopted by an init ([`PidReader::adopter`]) or its session leader
    /// gone ([`PidReader::session_gone`]). Reads the parent's `stat` and `status` and the
    /// session leader's `stat`: for matches only, so a host's other processes cost
    /// nothing more.
    fn read_lineage(&self, found: &mut Found, bufs: &mut PidBuffers<'_>) {
        let parent = self.parent_facts(found.ppid, bufs);
        found.parent.clear();
        found.parent_start_ticks = 0;
        if let Some((comm, starttime)) = &parent.stat {
            let _ = found.parent.extend_from_slice(comm);
            // A parent never starts after its child: a later one is a reused pid.
            if *starttime <= found.start_ticks {
                found.parent_start_ticks = *starttime;
            }
        }
        found.adopter = self.adopter(found, parent.ns_init);
        let mut why = OrphanWhy::NONE;
        if found.adopter.is_some() {
            why = why.with(OrphanWhy::INIT);
        }
        if self.session_gone(found, bufs) {
            why = why.with(OrphanWhy::SESSION);
        }
        found.orphan_why = why;
    }

    /// The parent's comm and start time (`stat`) and whether it is a PID namespace's init
    /// (`status`), read once per scan for all the matches that share it. The status is
    /// read into 4 KiB: `NSpid` comes after `Groups`, so a parent in more than about 600
    /// groups is not found as an init (unknown is never a reason).
    fn parent_facts(&self, ppid: u32, bufs: &mut PidBuffers<'_>) -> ParentFacts {
        if let Some((pid, facts)) = &bufs.seen.parent {
            if *pid == ppid {
                return facts.clone();
            }
        }
        let stat = read_stat(self.proc, ppid, bufs.stat.as_mut_slice()).map(|p| {
            let comm = p.comm.get(..COMM_LEN.min(p.comm.len())).unwrap_or(&[]);
            (Comm::from_slice(comm).unwrap_or_default(), p.starttime)
        });
        // pid 1 is an init whatever its status says; 0 is a parent outside this /proc.
        let ns_init = ppid > 1 && {
            let buf = bufs.cgroup.as_mut_slice();
            self.proc
                .read_pid(ppid, PidFile::Status, buf)
                .ok()
                .and_then(|n| buf.get(..n))
                .and_then(status::nspid_last)
                == Some(1)
        };
        let facts = ParentFacts { stat, ns_init };
        bufs.seen.parent = Some((ppid, facts.clone()));
        facts
    }

    /// Which init adopted the process, if its parent is one: pid 1; the init of a PID
    /// namespace, whatever its name; or a comm in the configured names (a subreaper).
    /// Cannot tell an init's own child from one it adopted.
    fn adopter(&self, found: &Found, parent_is_ns_init: bool) -> Option<Adopter> {
        if found.ppid == 1 {
            return Some(Adopter::Pid1);
        }
        let named = || {
            !found.parent.is_empty()
                && self
                    .cfg
                    .init_names
                    .iter()
                    .any(|n| n.as_slice() == found.parent.as_slice())
        };
        if parent_is_ns_init {
            Some(Adopter::NamespaceInit)
        } else if named() {
            Some(Adopter::Named)
        } else {
            None
        }
    }

    /// Whether the session leader is gone: no process has its pid, the one that has it
    /// started after this process (a reused pid: a leader starts before every member), or
    /// it is a zombie (exited, not yet reaped). A session id of 0 (a leader outside this
    /// `/proc`'s namespace), the process leading its own session, or a refused read is
    /// not "gone": unknown is never a reason.
    fn session_gone(&self, found: &Found, bufs: &mut PidBuffers<'_>) -> bool {
        let sid = found.session;
        if sid == 0 || sid == found.pid {
            return false;
        }
        match self.leader(sid, bufs) {
            Leader::Gone => true,
            Leader::Unknown => false,
            Leader::Alive {
                start_ticks,
                exited,
            } => start_ticks > found.start_ticks || exited,
        }
    }

    /// The session leader `sid` as its `stat` says, read once per scan for all the
    /// matches of its session.
    fn leader(&self, sid: u32, bufs: &mut PidBuffers<'_>) -> Leader {
        if let Some((pid, leader)) = bufs.seen.leader {
            if pid == sid {
                return leader;
            }
        }
        let buf = bufs.stat.as_mut_slice();
        let leader = match self.proc.read_pid(sid, PidFile::Stat, buf) {
            Err(ReadError::Gone) | Ok(0) => Leader::Gone,
            Err(_) => Leader::Unknown,
            Ok(n) => buf
                .get(..n)
                .and_then(|l| pid_stat::parse(l).ok())
                .filter(|leader| leader.pid == sid)
                .map_or(Leader::Unknown, |leader| Leader::Alive {
                    start_ticks: leader.starttime,
                    exited: matches!(leader.state, b'Z' | b'X'),
                }),
        };
        bufs.seen.leader = Some((sid, leader));
        leader
    }

    /// Counts a match the report could not hold (handed over: nothing else keeps it). Only
    /// whether it is an orphan matters, by the same rule as a stored match (what one scan
    /// sees: init, session); a child of pid 1 needs no read at all.
    fn count_unstored(&self, mut found: Found, bufs: &mut PidBuffers<'_>, unstored: &mut Unstored) {
        unstored.count = unstored.count.saturating_add(1);
        if found.age_s() > self.cfg.older_than_s {
            unstored.older = unstored.older.saturating_add(1);
            let orphan = found.ppid == 1 || {
                self.read_lineage(&mut found, bufs);
                found.orphan()
            };
            if orphan {
                unstored.older_orphans = unstored.older_orphans.saturating_add(1);
            }
        }
    }
}

/// The stat of `pid`, if it is readable, parses and is that pid's.
fn read_stat<'b>(proc: &ProcDir, pid: u32, buf: &'b mut [u8]) -> Option<PidStat<'b>> {
    let n = proc.read_pid(pid, PidFile::Stat, buf).ok()?;
    buf.get(..n)
        .and_then(|l| pid_stat::parse(l).ok())
        .filter(|s| s.pid == pid)
}

/// Folds each matching process into its topmost matching ancestor, so a wrapper and its
/// pytest (or pytest and its xdist workers) are one line with a descendant count, as
/// monit reports. A parent counts only if it started no later than the child, so a
/// reused pid is not taken for a parent.
fn fold_descendants(found: &mut [Found]) {
    let mut parent: [Option<usize>; MAX_FOUND] = [None; MAX_FOUND];
    for (slot, child) in parent.iter_mut().zip(found.iter()) {
        *slot = found.iter().position(|p| {
            p.pid == child.ppid && p.pid != child.pid && p.start_ticks <= child.start_ticks
        });
    }
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
            if let Some(f) = found.get_mut(i) {
                f.folded = true;
            }
            if let Some(t) = found.get_mut(top) {
                t.descendants = t.descendants.saturating_add(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aged(pid: u32, start_ticks: u64) -> Found {
        Found::blank(pid, start_ticks)
    }

    #[test]
    fn a_full_report_keeps_the_oldest_and_every_pinned_process() {
        let mut r = ScanReport::default();
        for pid in 0..MAX_FOUND as u32 {
            assert!(r.insert(aged(pid, 1000 + u64::from(pid)), pid == 5).is_none());
        }
        // Younger than all: left out.
        let out = r.insert(aged(9000, 5000), false).unwrap();
        assert_eq!(out.pid, 9000);
        // Older than the youngest: displaces it.
        let out = r.insert(aged(9001, 10), false).unwrap();
        assert_eq!(out.pid, MAX_FOUND as u32 - 1);
        assert!(r.get(ProcessKey { pid: 9001, start_ticks: 10 }).is_some());
        // Pinned, however young: displaces the youngest unpinned.
        let out = r.insert(aged(9002, 99_999), true).unwrap();
        assert_eq!(out.pid, MAX_FOUND as u32 - 2);
        assert_eq!(r.all().len(), MAX_FOUND);
        assert!(r.get(ProcessKey { pid: 5, start_ticks: 1005 }).is_some());
    }

    #[test]
    fn a_report_full_of_pinned_processes_leaves_out_the_newcomer() {
        let mut r = ScanReport::default();
        for pid in 0..MAX_FOUND as u32 {
            r.insert(aged(pid, 1000), true);
        }
        assert_eq!(r.insert(aged(9000, 1), false).unwrap().pid, 9000);
        assert_eq!(r.insert(aged(9001, 1), true).unwrap().pid, 9001);
    }
}
