//! What a scan finds: the records of matching processes and the report that holds them.
//! Pure data that the alert table, the lineage, the usage trackers and the renderers read;
//! [`super::scan`] fills it from `/proc`.

use heapless::Vec;

use crate::proc::parse::cgroup::{Pod, Runtime, ID_LEN};
use crate::proc::parse::cmdline::{PatternSet, ShownCmdline};
use crate::proc::usage::tree::Cut;
use crate::proc::usage::{MilliCores, Severity};
use crate::text::{heap_table, HeapTable};

/// The most matching processes one report holds (tops and their matching descendants).
/// The rest are counted in [`ScanReport::unstored`].
pub const MAX_FOUND: usize = 256;
/// Longest comm the kernel keeps (TASK_COMM_LEN - 1 for tasks; kernel threads up to 63).
pub(crate) const COMM_LEN: usize = 64;
/// The most init names.
pub(crate) const MAX_INIT_NAMES: usize = 16;

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

/// The most bytes of `namespace/name` a [`PodLabel`] keeps.
pub const POD_LABEL_MAX: usize = 128;

/// A pod's namespace and name as the kubelet's directory gives them, kept as
/// `namespace/name` in [`POD_LABEL_MAX`] bytes rather than the API's 63 + 253: a `Found`
/// is copied into every slot of the scan report and the alert table, so its size is the
/// daemon's memory (issue 22 measured 344 bytes more per record with the full form). A
/// pod whose name does not fit (controllers name pods in at most 63 bytes; only a
/// hand-made name can be longer) is shown by its UID, as where no directory names it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodLabel {
    text: heapless::String<POD_LABEL_MAX>,
    /// Where the `/` is: the namespace's length (at most 63).
    slash: u8,
}

impl PodLabel {
    /// `None` when both do not fit together.
    pub fn new(namespace: &str, name: &str) -> Option<Self> {
        let slash = u8::try_from(namespace.len()).ok()?;
        let mut text = heapless::String::new();
        text.push_str(namespace).ok()?;
        text.push('/').ok()?;
        text.push_str(name).ok()?;
        Some(PodLabel { text, slash })
    }

    pub fn namespace(&self) -> &str {
        self.text.get(..usize::from(self.slash)).unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.text
            .get(usize::from(self.slash).saturating_add(1)..)
            .unwrap_or("")
    }

    /// `namespace/name`.
    pub fn as_str(&self) -> &str {
        self.text.as_str()
    }
}

/// What a process's whole tree (it and every descendant) costs, from one bounded walk
/// ([`crate::proc::usage::tree`]). Set for the matches that are lines of their own; all
/// zero for a folded one (its top's tree holds it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TreeUsage {
    /// CPU over the last interval, in milli-cores; `None` until two scans saw the tree.
    pub cpu_millicores: Option<MilliCores>,
    pub rss_bytes: u64,
    /// Members read, the top included.
    pub processes: u32,
    /// The bound that cut the walk, if one did: the totals are then a lower bound.
    pub cut: Option<Cut>,
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
    /// Resident memory in bytes (`rss_pages` times the page size).
    pub rss_bytes: u64,
    /// CPU over the last interval, in milli-cores; `None` until two scans of the same
    /// (pid, start) saw it (issue 22).
    pub cpu_millicores: Option<MilliCores>,
    /// The process and its descendants.
    pub tree: TreeUsage,
    /// The alert table's verdict on the tree's rate ([`crate::proc::usage::SeverityCounter`]);
    /// a scan alone leaves it [`Severity::Warning`].
    pub severity: Severity,
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
    /// The pod's namespace and name, from the kubelet's pod log directory (issue 22).
    pub pod_names: Option<PodLabel>,
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
            rss_bytes: 0,
            cpu_millicores: None,
            tree: TreeUsage {
                cpu_millicores: None,
                rss_bytes: 0,
                processes: 0,
                cut: None,
            },
            severity: Severity::Warning,
            orphan_why: OrphanWhy::NONE,
            adopter: None,
            session: 0,
            parent: Comm::new(),
            parent_start_ticks: 0,
            launcher: None,
            container: None,
            pod: None,
            pod_names: None,
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

    /// CPU over its whole life (CPU seconds / age), in milli-cores; `None` at age 0.
    pub fn lifetime_millicores(&self) -> Option<MilliCores> {
        let centis_ms = self.cpu_centis.checked_mul(10_000)?;
        let m = centis_ms.checked_div(self.age_ms)?;
        Some(MilliCores::try_from(m).unwrap_or(MilliCores::MAX))
    }

    /// Older first; among equals, the lower pid.
    pub(crate) fn is_younger_than(&self, other: &Found) -> bool {
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
            for at in crate::proc::parse::cgroup::POD_UID_SEPARATORS {
                if let Some(b) = uid.get_mut(at) {
                    *b = b'-';
                }
            }
            let line = [&b"0::/kubepods/pod"[..], &uid, b"/x\n"].concat();
            f.pod = crate::proc::parse::cgroup::identify(&line).pod;
        }
        for chunk in u.arbitrary::<alloc::vec::Vec<&[u8]>>()? {
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

/// The host's CPU over the last interval (issue 22): what the lingering trees' share is
/// a share of, and how much tasks waited for a CPU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostCpu {
    /// All CPUs' time from the previous scan to this one, in milli-cores (about the
    /// number of online CPUs times 1000), from `/proc/stat`'s `cpu` line; `None` on the
    /// first scan, or when the line is unreadable or did not advance.
    pub capacity_millicores: Option<MilliCores>,
    /// `/proc/pressure/cpu`, `some avg60`, in hundredths of a percent; `None` where the
    /// kernel has no PSI or the file is unreadable.
    pub pressure_some_avg60: Option<u16>,
}

/// The result of one scan. Allocate once, reuse every tick.
///
/// The matches hold at most [`MAX_FOUND`] (the type says so) on the heap from start-up,
/// and [`ScanReport::insert`] is the only way in, so a scan allocates nothing; unlike an
/// inline array, the table costs memory only as it is used ([`HeapTable`]).
#[derive(Debug)]
pub struct ScanReport {
    pub(super) found: HeapTable<Found, MAX_FOUND>,
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
    /// The host's CPU over the interval since the previous scan.
    pub host: HostCpu,
}

impl Default for ScanReport {
    fn default() -> Self {
        ScanReport {
            found: heap_table(),
            pinned: [false; MAX_FOUND],
            unstored: Unstored::default(),
            pids_seen: 0,
            denied: 0,
            errors: 0,
            now_ms: 0,
            host: HostCpu::default(),
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
        if !self.found.is_full() {
            if let Some(slot) = self.pinned.get_mut(self.found.len()) {
                *slot = pinned;
            }
            return self.found.push(found).err();
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

    pub(crate) fn clear(&mut self, now_ms: u64) {
        self.found.clear();
        self.pinned = [false; MAX_FOUND];
        self.unstored = Unstored::default();
        self.pids_seen = 0;
        self.denied = 0;
        self.errors = 0;
        self.now_ms = now_ms;
        self.host = HostCpu::default();
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


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_label_keeps_namespace_and_name_or_nothing_when_they_do_not_fit() {
        let l = PodLabel::new("ci", "merge-gate-7f9c4-x2kqz").unwrap();
        assert_eq!((l.namespace(), l.name(), l.as_str()), ("ci", "merge-gate-7f9c4-x2kqz", "ci/merge-gate-7f9c4-x2kqz"));
        let longest = "n".repeat(POD_LABEL_MAX - 3);
        assert_eq!(PodLabel::new("ns", &longest).unwrap().name(), longest);
        assert_eq!(PodLabel::new("ns", &format!("{longest}x")), None);
        assert_eq!(PodLabel::new(&"a".repeat(300), "p"), None);
    }
}
