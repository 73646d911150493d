//! The thin I/O of `WATCHDOG_PROC_ACTION=terminate` (issue 24): what the pure decision
//! ([`crate::alert::terminate`]) cannot know without reading a process, and the
//! signals themselves.
//!
//! **No wrong process, ever.** Each signal goes through a pidfd: `pidfd_open(pid)`, then
//! `/proc/<pid>/stat` is read and its start time compared with the one decided on, then
//! `pidfd_send_signal`. A pidfd names one process for good; a pid only ever moves on to
//! newer processes, so a stat read *after* the open that still shows the decided start
//! time proves the pidfd holds the decided process ([`signal_checked`]). A process
//! whose start time differs (a reused pid) or that is gone is not signalled.
//!
//! It reads the `/proc` of its own PID namespace only (start-up refuses another: a pid
//! there would name a different process to `pidfd_open`). Every buffer is allocated at
//! start-up; a tick allocates nothing but its log lines.

use core::mem::MaybeUninit;

use rustix::io::Errno;

use crate::alert::terminate::{Candidate, DueList, Reaper, Rules, Signal, Spared, MEMBERS_MAX};
use crate::alert::{AlertTable, ALERT_CAPACITY};
use crate::log;
use crate::proc::found::ProcessKey;
use crate::proc::parse::children::{children, children_of_prefix};
use crate::proc::scan::read_stat;
use crate::proc::parse::cmdline::{Matcher, PatternSet};
use crate::proc::sys::{PidFile, ProcDir};
use crate::proc::usage::tree::TreeWalk;

/// How much of a cmdline the patterns are matched in (the scan's limit).
const CMDLINE_LIMIT: u64 = 1024 * 1024;

/// What became of one signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    Signalled,
    /// No such process (any more).
    Gone,
    /// The pid holds another process than the one decided on: not signalled.
    Reused,
    Failed(i32),
}

/// The three steps of a checked signal, so a test can drive them with a fake.
pub trait Pidfds {
    type Fd;
    fn open(&mut self, pid: u32) -> Result<Self::Fd, Errno>;
    /// The start time `/proc/<pid>/stat` shows now; `None` when it is gone.
    fn start_ticks(&mut self, pid: u32) -> Option<u64>;
    fn send(&mut self, fd: &Self::Fd, signal: Signal) -> Result<(), Errno>;
}

/// Signals `key` through a pidfd opened first and checked against `key`'s start time
/// after (see the module doc).
pub fn signal_checked<P: Pidfds>(p: &mut P, key: ProcessKey, signal: Signal) -> Sent {
    let fd = match p.open(key.pid) {
        Ok(fd) => fd,
        Err(Errno::SRCH) => return Sent::Gone,
        Err(e) => return Sent::Failed(e.raw_os_error()),
    };
    match p.start_ticks(key.pid) {
        Some(start) if start == key.start_ticks => {}
        Some(_) => return Sent::Reused,
        None => return Sent::Gone,
    }
    match p.send(&fd, signal) {
        Ok(()) => Sent::Signalled,
        Err(Errno::SRCH) => Sent::Gone,
        Err(e) => Sent::Failed(e.raw_os_error()),
    }
}

/// The real pidfds, with the start time read through the `/proc` fd.
struct Real<'a> {
    proc: &'a ProcDir,
    buf: &'a mut [u8],
}

impl Pidfds for Real<'_> {
    type Fd = rustix::fd::OwnedFd;

    fn open(&mut self, pid: u32) -> Result<Self::Fd, Errno> {
        let pid = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw);
        let pid = pid.ok_or(Errno::SRCH)?;
        rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())
    }

    fn start_ticks(&mut self, pid: u32) -> Option<u64> {
        read_stat(self.proc, pid, self.buf).map(|s| s.starttime)
    }

    fn send(&mut self, fd: &Self::Fd, signal: Signal) -> Result<(), Errno> {
        let sig = match signal {
            Signal::Term => rustix::process::Signal::TERM,
            Signal::Kill => rustix::process::Signal::KILL,
        };
        rustix::process::pidfd_send_signal(fd, sig)
    }
}

/// Signals sent since start-up, for the metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub term: u64,
    pub kill: u64,
}

/// Everything terminate needs, allocated at start-up.
pub struct Terminator {
    proc: ProcDir,
    rules: Rules,
    exclude: PatternSet,
    never: PatternSet,
    dry_run: bool,
    reaper: Reaper,
    candidates: heapless::Vec<Candidate, ALERT_CAPACITY>,
    /// What was read about each candidate, read once.
    verdicts: heapless::Vec<(ProcessKey, Option<Spared>), ALERT_CAPACITY>,
    due: DueList,
    walk: TreeWalk,
    members: heapless::Vec<ProcessKey, MEMBERS_MAX>,
    buf: Vec<u8>,
    dirbuf: Vec<MaybeUninit<u8>>,
    pub counts: Counts,
}

/// What `WATCHDOG_PROC_ACTION=terminate` is given: the `/proc` to read, the grace and the
/// kill delay, the patterns whose processes are never signalled, and `--dry-run`.
pub struct Settings<'a> {
    pub proc_root: &'a std::path::Path,
    pub terminate_after_s: u64,
    pub kill_after_s: u64,
    pub exclude: &'a PatternSet,
    pub never: &'a PatternSet,
    pub dry_run: bool,
}

impl Terminator {
    /// The terminator `settings` ask for. Refuses a `/proc` of another PID namespace
    /// (start-up error, exit 2).
    pub fn start(settings: Settings<'_>) -> Result<Box<Self>, u8> {
        let proc = ProcDir::open(settings.proc_root).map_err(|e| {
            log!("cannot open {}: {e}", settings.proc_root.display());
            2u8
        })?;
        let own_pid = rustix::process::getpid()
            .as_raw_nonzero()
            .get()
            .unsigned_abs();
        if proc.self_pid() != Some(own_pid) {
            log!(
                "WATCHDOG_PROC_ACTION=terminate needs the /proc of its own PID namespace (pid: host), and {} is not: its pids would name other processes",
                settings.proc_root.display()
            );
            return Err(2);
        }
        let own_ppid =
            rustix::process::getppid().map_or(0, |p| p.as_raw_nonzero().get().unsigned_abs());
        Ok(Box::new(Terminator {
            proc,
            rules: Rules {
                after_ms: settings.terminate_after_s.saturating_mul(1000),
                kill_after_ms: settings.kill_after_s.saturating_mul(1000),
                own_pid,
                own_ppid,
            },
            exclude: settings.exclude.clone(),
            never: settings.never.clone(),
            dry_run: settings.dry_run,
            reaper: Reaper::default(),
            candidates: heapless::Vec::new(),
            verdicts: heapless::Vec::new(),
            due: DueList::new(),
            walk: TreeWalk::new(0),
            members: heapless::Vec::new(),
            buf: vec![0; 4096],
            dirbuf: vec![MaybeUninit::uninit(); 4096],
            counts: Counts::default(),
        }))
    }

    /// One tick at `now_ms`, after the table's: reads what spares each new candidate,
    /// tells the table when each will be terminated, and sends what is due.
    pub fn tick(&mut self, now_ms: u64, table: &mut AlertTable) {
        table.candidates(&mut self.candidates);
        let candidates = &self.candidates;
        self.verdicts
            .retain(|(k, _)| candidates.iter().any(|c| c.key == *k));
        for i in 0..self.candidates.len() {
            let Some(c) = self.candidates.get(i).copied() else {
                continue;
            };
            let spared = match self.verdicts.iter().find(|(k, _)| *k == c.key) {
                Some(&(_, v)) => v,
                None => {
                    let v = self.spared_by_reading(c.key.pid);
                    let _ = self.verdicts.push((c.key, v));
                    v
                }
            };
            let spared = spared.or(self.rules.spares(c.key.pid, c.orphan));
            table.set_terminate_at(
                c.key,
                spared.is_none().then(|| self.rules.term_at_ms(c.fired_ms)),
            );
            if let Some(slot) = self.candidates.get_mut(i) {
                slot.spared = spared;
            }
        }
        self.reaper
            .decide(now_ms, &self.rules, &self.candidates, &mut self.due);
        for i in 0..self.due.len() {
            let Some(d) = self.due.get(i).copied() else {
                continue;
            };
            match d.signal {
                Signal::Term => self.terminate_tree(d.key, table),
                Signal::Kill => self.kill_tree(d.key, table),
            }
        }
    }

    /// Why `pid` must never be signalled, by what its files say: the init of a PID
    /// namespace, or a cmdline an exclude or never-terminate pattern matches. A process
    /// that cannot be read is spared too.
    fn spared_by_reading(&mut self, pid: u32) -> Option<Spared> {
        let n = match self.proc.read_pid(pid, PidFile::Status, &mut self.buf) {
            Ok(n) => n,
            Err(_) => return Some(Spared::Unreadable),
        };
        let status = self.buf.get(..n).unwrap_or_default();
        if crate::proc::parse::status::nspid_last(status) == Some(1) {
            return Some(Spared::NamespaceInit);
        }
        let none = PatternSet::new();
        for (set, why) in [
            (&self.exclude, Spared::Excluded),
            (&self.never, Spared::NeverTerminate),
        ] {
            if set.is_empty() {
                continue;
            }
            let mut m = Matcher::new(set, &none);
            let read = self.proc.stream_pid(
                pid,
                PidFile::Cmdline,
                &mut self.buf,
                CMDLINE_LIMIT,
                |chunk| {
                    m.feed(chunk);
                    true
                },
            );
            if read.is_err() || m.is_match() {
                return Some(why);
            }
        }
        None
    }

    /// SIGTERM to `top` and its descendants, deepest first, each checked; records them
    /// for the SIGKILL.
    fn terminate_tree(&mut self, top: ProcessKey, table: &mut AlertTable) {
        if !self.collect_tree(top) {
            log!("terminate: pid {} is no longer the process decided on (start {}); nothing signalled", top.pid, top.start_ticks);
            self.reaper.record_members(top, &[]);
            return;
        }
        let mut i = 0;
        while let Some(m) = self.members.get(i).copied() {
            let spared = if m == top {
                None
            } else {
                self.spared_by_reading(m.pid)
                    .or(self.rules.spares(m.pid, true))
            };
            match spared {
                Some(why) => {
                    log!(
                        "terminate: pid {} (descendant of {}) spared: {}",
                        m.pid,
                        top.pid,
                        why.describe()
                    );
                    self.members.remove(i);
                }
                None => i = i.saturating_add(1),
            }
        }
        self.send_all(top, Signal::Term, table);
        self.reaper.record_members(top, &self.members);
    }

    /// SIGKILL to what is left of the tree that got SIGTERM.
    fn kill_tree(&mut self, top: ProcessKey, table: &mut AlertTable) {
        self.members.clear();
        for &m in self.reaper.members(top) {
            let _ = self.members.push(m);
        }
        self.send_all(top, Signal::Kill, table);
    }

    /// Sends `signal` to every member, in order, each checked; logs each.
    fn send_all(&mut self, top: ProcessKey, signal: Signal, table: &mut AlertTable) {
        for &m in &self.members {
            let role = if m == top {
                "lingering orphan"
            } else {
                "descendant of"
            };
            let of = if m == top { 0 } else { top.pid };
            if self.dry_run {
                log!(
                    "would terminate: dry run, no {} to pid {} (start {}, {role} {of})",
                    signal.name(),
                    m.pid,
                    m.start_ticks
                );
                continue;
            }
            let mut real = Real {
                proc: &self.proc,
                buf: &mut self.buf,
            };
            match signal_checked(&mut real, m, signal) {
                Sent::Signalled => {
                    log!(
                        "terminate: {} sent to pid {} (start {}, {role} {of})",
                        signal.name(),
                        m.pid,
                        m.start_ticks
                    );
                    match signal {
                        Signal::Term => self.counts.term = self.counts.term.saturating_add(1),
                        Signal::Kill => self.counts.kill = self.counts.kill.saturating_add(1),
                    }
                    if m == top {
                        table.mark_signalled(top, signal);
                    }
                }
                Sent::Gone => {}
                Sent::Reused => log!(
                    "terminate: pid {} now holds another process than start {}; not signalled",
                    m.pid,
                    m.start_ticks
                ),
                Sent::Failed(e) => {
                    log!(
                        "terminate: cannot send {} to pid {}: {}",
                        signal.name(),
                        m.pid,
                        std::io::Error::from_raw_os_error(e)
                    );
                    if m == top {
                        given_up(&mut self.verdicts, table, top);
                    }
                }
            }
        }
    }

    /// Fills `members` with `top`'s tree, deepest first and `top` last (at most
    /// [`MEMBERS_MAX`], those nearest the top); false when `top` is not the process
    /// decided on. A child counts only when its own stat names a member as its parent
    /// (the children files and the stat are read apart: a pid may change hands between).
    fn collect_tree(&mut self, top: ProcessKey) -> bool {
        self.members.clear();
        self.walk = TreeWalk::new(top.pid);
        while let Some(v) = self.walk.next_visit() {
            let stat = read_stat(&self.proc, v.pid, &mut self.buf);
            let Some((start, ppid)) = stat.map(|s| (s.starttime, s.ppid)) else {
                continue;
            };
            if v.depth == 0 {
                if start != top.start_ticks {
                    return false;
                }
            } else if start < top.start_ticks || !self.members.iter().any(|m| m.pid == ppid) {
                continue;
            }
            if self
                .members
                .push(ProcessKey {
                    pid: v.pid,
                    start_ticks: start,
                })
                .is_err()
            {
                break;
            }
            self.push_children(v);
        }
        self.members.reverse();
        true
    }

    /// Adds the children every thread of `v` lists (`task/<tid>/children`), read as the
    /// scanner's tree walk reads them (a file cut by the buffer loses its last pid).
    fn push_children(&mut self, v: crate::proc::usage::tree::Visit) {
        let walk = &mut self.walk;
        let (dirbuf, buf) = (&mut self.dirbuf, &mut self.buf);
        let _ = self.proc.for_each_task_children(v.pid, false, dirbuf, buf, |file, full| {
            let pids = if full { children_of_prefix(file) } else { children(file) };
            for child in pids {
                walk.push_child(v, child);
            }
        });
    }
}

/// A signal to `top` failed and is never tried again: from now on its messages no
/// longer say lingerwatch will terminate it (they said so while it was going to).
fn given_up(
    verdicts: &mut heapless::Vec<(ProcessKey, Option<Spared>), ALERT_CAPACITY>,
    table: &mut AlertTable,
    top: ProcessKey,
) {
    if let Some((_, v)) = verdicts.iter_mut().find(|(k, _)| *k == top) {
        *v = Some(Spared::Refused);
    }
    table.set_terminate_at(top, None);
}

/// One checked signal to `key` through the `/proc` at `proc_root` (tests and tools: the
/// daemon goes through [`Terminator`]).
pub fn signal_once(proc_root: &std::path::Path, key: ProcessKey, signal: Signal) -> Sent {
    let Ok(proc) = ProcDir::open(proc_root) else {
        return Sent::Failed(Errno::NOENT.raw_os_error());
    };
    let mut buf = [0u8; 1024];
    signal_checked(
        &mut Real {
            proc: &proc,
            buf: &mut buf,
        },
        key,
        signal,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake pidfd: what it was asked, in order, and the start time its stat shows.
    struct Fake {
        calls: std::vec::Vec<&'static str>,
        start_now: Option<u64>,
        open: Result<(), Errno>,
    }

    impl Pidfds for Fake {
        type Fd = ();
        fn open(&mut self, _pid: u32) -> Result<(), Errno> {
            self.calls.push("open");
            self.open
        }
        fn start_ticks(&mut self, _pid: u32) -> Option<u64> {
            self.calls.push("stat");
            self.start_now
        }
        fn send(&mut self, _fd: &(), _signal: Signal) -> Result<(), Errno> {
            self.calls.push("send");
            Ok(())
        }
    }

    const KEY: ProcessKey = ProcessKey {
        pid: 4711,
        start_ticks: 1000,
    };

    fn fake(start_now: Option<u64>, open: Result<(), Errno>) -> Fake {
        Fake {
            calls: vec![],
            start_now,
            open,
        }
    }

    #[test]
    fn the_start_time_is_read_after_the_pidfd_is_open_and_before_the_signal() {
        let mut f = fake(Some(1000), Ok(()));
        assert_eq!(signal_checked(&mut f, KEY, Signal::Term), Sent::Signalled);
        assert_eq!(f.calls, ["open", "stat", "send"]);
    }

    #[test]
    fn a_pid_reused_between_the_decision_and_the_signal_is_not_signalled() {
        let mut f = fake(Some(1001), Ok(()));
        assert_eq!(signal_checked(&mut f, KEY, Signal::Kill), Sent::Reused);
        assert_eq!(f.calls, ["open", "stat"]);
    }

    #[test]
    fn a_process_gone_before_the_open_or_the_stat_is_not_signalled() {
        let mut f = fake(Some(1000), Err(Errno::SRCH));
        assert_eq!(signal_checked(&mut f, KEY, Signal::Term), Sent::Gone);
        assert_eq!(f.calls, ["open"]);
        let mut f = fake(None, Ok(()));
        assert_eq!(signal_checked(&mut f, KEY, Signal::Term), Sent::Gone);
        assert_eq!(f.calls, ["open", "stat"]);
        let mut f = fake(Some(1000), Err(Errno::PERM));
        assert_eq!(
            signal_checked(&mut f, KEY, Signal::Term),
            Sent::Failed(libc::EPERM)
        );
    }
}
