//! One pass over `/proc`: which processes match, how old they are, whose orphans they are
//! and which container they run in. It observes; whether a process lingers is
//! [`crate::alert::policy`]'s to say.
//!
//! Reads through [`crate::proc::sys`] only and parses with [`crate::proc::parse`]. Everything lives in
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

use crate::proc::parse::cgroup::{self, Pod, ID_LEN};
use crate::proc::parse::children::{children, children_of_prefix};
use crate::proc::parse::cmdline::{Matcher, ShownCmdline};
use crate::proc::parse::mountinfo::{ProcMount, ProcMountFinder};
use crate::proc::parse::pid_stat::{self, PidStat};
use crate::proc::parse::cpu_times::{CpuTimes, CpuTimesFinder};
use crate::proc::parse::pressure;
use crate::proc::parse::proc_stat::BtimeFinder;
use crate::proc::parse::status;
use crate::proc::found::{
    Adopter, Blindness, Comm, Container, Found, Namespace, OrphanWhy, ProcessKey, ScanConfig,
    HostCpu, ScanError, ScanReport, TreeUsage, Unstored, COMM_LEN, MAX_FOUND,
};
use crate::proc::sys::{ListedDir, PidFile, ProcDir, ReadError};
use crate::proc::usage::tree::{TreeTotals, TreeWalk};
use crate::proc::usage::rate::RateTracker;

/// How much of a cmdline is read: a pattern past the first MiB is not seen. Linux allows
/// longer argument lists, but none that a test runner is started with.
pub(crate) const CMDLINE_READ_MAX: u64 = 1 << 20;
/// How much of `/proc/stat` is read looking for `btime` (its `intr` line can pass 64 KiB).
pub(crate) const PROC_STAT_READ_MAX: u64 = 1 << 20;
/// How much of `/proc/self/mountinfo` is read (a node with thousands of mounts).
pub(crate) const MOUNTINFO_READ_MAX: u64 = 16 << 20;

/// The getdents64 buffer: small on purpose. Under a memory limit close to the working set
/// (see [`crate::host::memory`]), a big buffer makes each call instantiate hundreds of pid
/// dentries that wait unreferenced on the LRU until their cmdline is read; reclaim frees
/// those first and the lookups allocate them again. With 1 KiB instead of 16, 4,000 host
/// processes at 6 MiB survived 120 s instead of 4 to 18 (BENCHMARKS.md). It still holds
/// any one record (19 bytes + a name of at most 255).
const DIR_BUF: usize = 1024;
const CMDLINE_BUF: usize = 4096;
const STAT_BUF: usize = 1024;
const CGROUP_BUF: usize = 4096;

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

/// The CPU counters of the last scans, for rates (issue 22): per match and per tree, in
/// clock ticks (`utime + stime`, read again after the listing).
struct Rates {
    process: RateTracker,
    tree: RateTracker,
    /// The host's `cpu` line at the previous scan, and when.
    host: Option<(CpuTimes, u64)>,
}

pub struct Scanner {
    proc: ProcDir,
    self_pid: Option<u32>,
    clk_tck: u64,
    page_size: u64,
    cfg: ScanConfig,
    mount: Option<ProcMount>,
    bufs: Box<Buffers>,
    rates: Box<Rates>,
    /// The kubelet's pod log directory, where this is a Kubernetes node.
    pods: Option<ListedDir>,
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
            crate::proc::sys::stream_file(path, &mut bufs.cmdline, MOUNTINFO_READ_MAX, |chunk| {
                finder.feed(chunk);
                !finder.done()
            })
            .ok()?;
            finder.finish()
        });
        let clk_tck = crate::proc::sys::clock_ticks_per_second().max(1);
        Ok(Scanner {
            proc,
            self_pid,
            clk_tck,
            page_size: crate::proc::sys::page_size(),
            cfg,
            mount,
            bufs,
            rates: Box::new(Rates {
                process: RateTracker::new(clk_tck),
                tree: RateTracker::new(clk_tck),
                host: None,
            }),
            pods: None,
        })
    }

    /// Names pods from the kubelet's pod log directory at `path`
    /// (`<namespace>_<name>_<uid>`, [`crate::proc::parse::pods`]). Opened now (start-up,
    /// before any lock-down) and listed again at each scan that found a pod; a missing
    /// directory names nothing.
    #[must_use]
    pub fn with_pods_dir(mut self, path: &Path) -> Self {
        self.pods = ListedDir::open(path);
        self
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
        let started_ms = crate::proc::sys::boot_clock_ms();
        report.clear(now_ms);
        let Scanner {
            proc,
            self_pid,
            clk_tck,
            page_size,
            cfg,
            bufs,
            rates,
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
            let outcome = reader.examine(pid, &mut bufs);
            reader.file(outcome, watch, &mut bufs, report);
        });
        listing.map_err(|e| ScanError::ProcUnreadable(e.errno()))?;
        for found in report.found.iter_mut() {
            reader.read_lineage(found, &mut bufs);
        }
        fold_descendants(&mut report.found);
        // Listing order is the filesystem's; people and tests read pid order. In place,
        // no allocation.
        report.found.sort_unstable_by_key(|f| f.pid);
        // Rates are counters over time: the counters are read again after the listing
        // (which can take seconds on a loaded host) and dated then on the caller's
        // clock, so every rate and the host's share span the same interval.
        let at_ms = now_ms.saturating_add(crate::proc::sys::boot_clock_ms().saturating_sub(started_ms));
        let (stat, children) = (bufs.stat, bufs.cmdline);
        report.host = read_host(proc, children, &mut rates.host, *clk_tck, at_ms);
        let mut tree_bufs = TreeBuffers { dir, stat, children };
        measure(proc, &mut tree_bufs, rates, *page_size, at_ms, report);
        name_pods(self.pods.as_ref(), tree_bufs.dir, report);
        Ok(())
    }
}

/// The buffers a tree walk reads with (the listing is over, so its buffer is free).
struct TreeBuffers<'a> {
    dir: &'a mut [MaybeUninit<u8>; DIR_BUF],
    stat: &'a mut [u8; STAT_BUF],
    children: &'a mut [u8; CMDLINE_BUF],
}

/// What matches cost (issue 22), as read at `at_ms`: each one's resident memory and CPU
/// rate, and for each line of its own, its tree's totals and rate. Reads only for matches
/// and their descendants; the trackers forget every process this scan did not see.
fn measure(
    proc: &ProcDir,
    bufs: &mut TreeBuffers<'_>,
    rates: &mut Rates,
    page_size: u64,
    at_ms: u64,
    report: &mut ScanReport,
) {
    rates.process.begin_scan(at_ms);
    rates.tree.begin_scan(at_ms);
    for f in report.found.iter_mut() {
        f.rss_bytes = f.rss_pages.saturating_mul(page_size);
        if f.folded {
            // Its top's walk reads it too, but adds it into the tree's sum.
            let own = read_stat(proc, f.pid, bufs.stat.as_mut_slice())
                .filter(|s| s.starttime == f.start_ticks)
                .map(|s| s.utime.saturating_add(s.stime));
            f.cpu_millicores = own.and_then(|t| rates.process.observe(f.key(), t));
            continue;
        }
        let (totals, own) = walk_tree(proc, bufs, f.pid, f.start_ticks);
        f.cpu_millicores = own.and_then(|t| rates.process.observe(f.key(), t));
        f.tree = TreeUsage {
            cpu_millicores: rates.tree.observe(f.key(), totals.cpu_ticks),
            rss_bytes: totals.rss_pages.saturating_mul(page_size),
            processes: totals.processes,
            cut: totals.cut,
        };
    }
    rates.process.end_scan();
    rates.tree.end_scan();
}

/// Gives each match in a pod its pod's namespace and name: one listing of the pods
/// directory, only when some match is in a pod.
fn name_pods(pods: Option<&ListedDir>, dirbuf: &mut [MaybeUninit<u8>], report: &mut ScanReport) {
    let Some(pods) = pods.filter(|_| report.found.iter().any(|f| f.pod.is_some())) else {
        return;
    };
    pods.for_each_name(dirbuf, |entry| {
        let Some(dir) = crate::proc::parse::pods::parse(entry) else {
            return;
        };
        for f in report.found.iter_mut() {
            if f.pod.as_ref().is_some_and(|p| dir.is_pod(&p.uid)) {
                f.pod_names = crate::proc::found::PodLabel::new(dir.namespace, dir.name);
            }
        }
    });
}

/// The host's CPU capacity over the interval since the previous scan (`/proc/stat`'s
/// first line only) and its CPU pressure (`/proc/pressure/cpu`, where the kernel has it).
fn read_host(
    proc: &ProcDir,
    buf: &mut [u8],
    previous: &mut Option<(CpuTimes, u64)>,
    clk_tck: u64,
    now_ms: u64,
) -> HostCpu {
    let mut finder = CpuTimesFinder::default();
    let read = proc.stream(c"stat", buf, PROC_STAT_READ_MAX, |chunk| {
        finder.feed(chunk);
        !finder.done()
    });
    let now = read.ok().and_then(|_| finder.finish().ok());
    let capacity_millicores = match (now, *previous) {
        (Some(now), Some((before, at_ms))) => now.ticks_since(before).and_then(|ticks| {
            crate::proc::usage::millicores(ticks, clk_tck, now_ms.checked_sub(at_ms)?)
        }),
        _ => None,
    };
    *previous = now.map(|t| (t, now_ms));
    let pressure_some_avg60 = proc
        .read(c"pressure/cpu", buf)
        .ok()
        .and_then(|n| buf.get(..n))
        .and_then(pressure::some_avg60);
    HostCpu {
        capacity_millicores,
        pressure_some_avg60,
    }
}

/// Adds up the tree below `top` (started at `start_ticks`): each member's `stat`, and its
/// children from every `task/<tid>/children`, breadth-first within the walk's bounds.
/// Also the top's own CPU ticks. A top whose pid now holds another process (or is gone)
/// counts nothing.
fn walk_tree(
    proc: &ProcDir,
    bufs: &mut TreeBuffers<'_>,
    top: u32,
    start_ticks: u64,
) -> (TreeTotals, Option<u64>) {
    let mut walk = TreeWalk::new(top);
    let mut totals = TreeTotals::default();
    let mut own = None;
    while let Some(visit) = walk.next_visit() {
        let Some(s) = read_stat(proc, visit.pid, bufs.stat.as_mut_slice()) else {
            if visit.depth == 0 {
                return (totals, None);
            }
            continue;
        };
        if visit.depth == 0 {
            if s.starttime != start_ticks {
                return (totals, None);
            }
            own = Some(s.utime.saturating_add(s.stime));
        }
        totals.add(s.utime.saturating_add(s.stime), s.rss_pages, s.num_threads);
        let dir = bufs.dir.as_mut_slice();
        let single_thread = s.num_threads == 1 && s.state != b'Z';
        let _ = proc.for_each_task_children(visit.pid, single_thread, dir, bufs.children.as_mut_slice(), |file, full| {
            let pids = if full { children_of_prefix(file) } else { children(file) };
            for pid in pids {
                walk.push_child(visit, pid);
            }
        });
    }
    totals.cut = walk.cut();
    (totals, own)
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
    /// Files one pid's outcome in the report: a match stored (or counted when it does
    /// not fit), a refusal or an error counted, a vanished or other pid nothing.
    fn file(
        &self,
        outcome: Result<Option<Found>, Skip>,
        watch: &[ProcessKey],
        bufs: &mut PidBuffers<'_>,
        report: &mut ScanReport,
    ) {
        match outcome {
            Ok(Some(found)) => {
                let pinned = watch.binary_search(&found.key()).is_ok();
                if let Some(left_out) = report.insert(found, pinned) {
                    self.count_unstored(left_out, bufs, &mut report.unstored);
                }
            }
            Ok(None) | Err(Skip::Gone) => {}
            Err(Skip::Denied) => report.denied = report.denied.saturating_add(1),
            Err(Skip::Malformed | Skip::Io) => report.errors = report.errors.saturating_add(1),
        }
    }

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
pub(crate) fn read_stat<'b>(proc: &ProcDir, pid: u32, buf: &'b mut [u8]) -> Option<PidStat<'b>> {
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
