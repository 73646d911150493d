//! The walk over a process's descendants, and the totals it adds up: what a lingering
//! tree costs (its own CPU and memory plus its xdist workers', the browsers and servers it
//! started).
//!
//! Pure; never panics; no allocation (the walk is one fixed array); no I/O: the caller
//! reads each visited pid's `stat` and `task/*/children` files (parsed by
//! [`crate::proc::parse::pid_stat`] and [`crate::proc::parse::children`]) and hands back what it found.
//!
//! ```text
//! let mut walk = TreeWalk::new(top_pid);
//! let mut totals = TreeTotals::default();
//! while let Some(visit) = walk.next_visit() {
//!     // read /proc/<visit.pid>/stat: totals.add(ticks, rss_pages, threads)
//!     // for each task/<tid>/children file: for pid in children(file) { walk.push_child(visit, pid) }
//! }
//! totals.cut = walk.cut();
//! ```
//!
//! The walk is breadth-first, so when a bound cuts it the processes nearest the top are
//! the ones counted. Bounds: [`TREE_MAX`] processes (the top included) and
//! [`TREE_DEPTH_MAX`] levels below the top; a child past either is not visited and
//! [`TreeWalk::cut`] says which bound cut (so the report can say "at least"). A pid
//! already in the walk is not added again: the children files are read while the tree
//! runs (proc(5): exact only while stopped), so a pid can be listed twice, and pid reuse
//! could even make a cycle; each pid counts once.
//!
//! **A tree's rate.** Feed [`TreeTotals::cpu_ticks`] to a [`super::rate::RateTracker`] keyed by
//! the top's [`crate::proc::found::ProcessKey`]. A member that exits takes its `utime + stime`
//! out of the sum; once its parent reaps it, the time moves to the parent's `cutime +
//! cstime` (proc(5) fields 16 and 17). So the sum over members of all four only falls
//! when a member exits unreaped or its reaper is outside the tree, and the tracker answers
//! a fall with `None` for that interval, not a negative rate. `pid_stat` does not parse
//! fields 16 and 17 yet: until it does, every member's exit costs one interval's rate.

/// The most processes one walk visits, the top included.
pub const TREE_MAX: usize = 512;
/// The most levels below the top a walk descends.
pub const TREE_DEPTH_MAX: u8 = 16;

/// Which bound stopped a walk before it saw every descendant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// [`TREE_MAX`] processes.
    Count,
    /// Deeper than [`TREE_DEPTH_MAX`] levels.
    Depth,
}

impl Cut {
    /// As JSON bodies spell it.
    pub fn name(self) -> &'static str {
        match self {
            Cut::Count => "count",
            Cut::Depth => "depth",
        }
    }
}

/// One process to read: its pid and how many levels below the top it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Visit {
    pub pid: u32,
    pub depth: u8,
}

/// A bounded breadth-first walk; see the module doc.
#[derive(Clone, Debug)]
pub struct TreeWalk {
    /// Every process admitted, in visiting order; those before `next` were handed out.
    admitted: heapless::Vec<Visit, TREE_MAX>,
    next: usize,
    cut: Option<Cut>,
}

impl TreeWalk {
    pub fn new(top_pid: u32) -> Self {
        let mut admitted = heapless::Vec::new();
        // Capacity is at least 1: the top always fits.
        let _ = admitted.push(Visit {
            pid: top_pid,
            depth: 0,
        });
        TreeWalk {
            admitted,
            next: 0,
            cut: None,
        }
    }

    /// The next process to read, or `None` when the walk is over.
    pub fn next_visit(&mut self) -> Option<Visit> {
        let visit = *self.admitted.get(self.next)?;
        self.next = self.next.saturating_add(1);
        Some(visit)
    }

    /// Adds a child that `parent`'s children files list; false when it was not added
    /// (already in the walk, or cut by a bound).
    pub fn push_child(&mut self, parent: Visit, pid: u32) -> bool {
        if self.admitted.iter().any(|v| v.pid == pid) {
            return false;
        }
        let depth = parent.depth.saturating_add(1);
        if depth > TREE_DEPTH_MAX {
            self.cut.get_or_insert(Cut::Depth);
            return false;
        }
        if self.admitted.push(Visit { pid, depth }).is_err() {
            self.cut = Some(Cut::Count);
            return false;
        }
        true
    }

    /// Processes admitted so far (visited or waiting).
    pub fn processes(&self) -> usize {
        self.admitted.len()
    }

    /// Which bound cut the walk, if one did (the count wins over the depth: it is the one
    /// that may have left out a whole branch near the top).
    pub fn cut(&self) -> Option<Cut> {
        self.cut
    }
}

/// What a tree costs: sums over the processes that were read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TreeTotals {
    /// utime + stime of every member, in the caller's ticks.
    pub cpu_ticks: u64,
    pub rss_pages: u64,
    pub threads: u64,
    /// Members read (the top included).
    pub processes: u32,
    /// Set when a bound cut the walk: the totals are a lower bound.
    pub cut: Option<Cut>,
}

impl TreeTotals {
    /// Adds one member (saturating).
    pub fn add(&mut self, cpu_ticks: u64, rss_pages: u64, threads: u64) {
        self.cpu_ticks = self.cpu_ticks.saturating_add(cpu_ticks);
        self.rss_pages = self.rss_pages.saturating_add(rss_pages);
        self.threads = self.threads.saturating_add(threads);
        self.processes = self.processes.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Walks a made-up process table the way the caller would.
    fn walk(top: u32, children: &HashMap<u32, Vec<u32>>) -> (Vec<Visit>, Option<Cut>) {
        let mut w = TreeWalk::new(top);
        let mut seen = Vec::new();
        while let Some(v) = w.next_visit() {
            seen.push(v);
            for &c in children.get(&v.pid).map_or(&[][..], Vec::as_slice) {
                w.push_child(v, c);
            }
        }
        (seen, w.cut())
    }

    #[test]
    fn pytest_with_xdist_workers_and_a_browser_is_walked_breadth_first() {
        let table = HashMap::from([
            (100, vec![101, 102]),
            (101, vec![110]),
            (110, vec![111, 112]),
        ]);
        let (seen, cut) = walk(100, &table);
        let pids: Vec<u32> = seen.iter().map(|v| v.pid).collect();
        assert_eq!(pids, [100, 101, 102, 110, 111, 112]);
        assert_eq!(seen.last().map(|v| v.depth), Some(3));
        assert_eq!(cut, None);
    }

    #[test]
    fn duplicates_and_cycles_count_once() {
        let table = HashMap::from([(1, vec![2, 2, 3]), (2, vec![1, 3]), (3, vec![2])]);
        let (seen, cut) = walk(1, &table);
        assert_eq!(seen.len(), 3);
        assert_eq!(cut, None);
    }

    #[test]
    fn a_chain_deeper_than_the_bound_is_cut_by_depth() {
        let table: HashMap<u32, Vec<u32>> = (1..100).map(|p| (p, vec![p + 1])).collect();
        let (seen, cut) = walk(1, &table);
        assert_eq!(seen.len(), usize::from(TREE_DEPTH_MAX) + 1);
        assert_eq!(cut, Some(Cut::Depth));
    }

    #[test]
    fn a_fork_bomb_is_cut_by_count() {
        let wide: Vec<u32> = (2..2000).collect();
        let table = HashMap::from([(1, wide)]);
        let (seen, cut) = walk(1, &table);
        assert_eq!(seen.len(), TREE_MAX);
        assert_eq!(cut, Some(Cut::Count));
    }

    #[test]
    fn totals_add_up_saturating() {
        let mut t = TreeTotals::default();
        t.add(10, 20, 1);
        t.add(u64::MAX, 1, 2);
        assert_eq!((t.cpu_ticks, t.rss_pages, t.threads, t.processes), (u64::MAX, 21, 3, 2));
    }
}
