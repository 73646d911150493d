//! The container's memory limit, watched: found at start-up, read again after every scan,
//! and said once whenever it turns out too low for the host (or fine again). Below the
//! rule of [`crate::host::memory`] the kernel will OOM-kill lingerwatch, again and again, while
//! nothing is watched: better to say so first.

use std::path::{Path, PathBuf};

use crate::log;
use crate::host::memory::{
    covers, judge, limit_files, mib_up, parse_limit, tasks_from_loadavg, Verdict, RULE,
};
use crate::proc::sys::{read_file, ReopenlessFile};

pub(crate) struct MemoryLimit {
    /// The limit file, kept open from start-up: read again after every scan with one
    /// `pread`, and no Landlock rule needed for it.
    file: Option<ReopenlessFile>,
    /// `<proc root>/loadavg`, for the count before the first scan.
    loadavg: PathBuf,
    limit: Option<u64>,
    said: Verdict,
}

/// A small file's contents, or nothing.
fn read_small(path: &Path, buf: &mut [u8; 4096]) -> Option<usize> {
    read_file(path, buf).ok()
}

impl MemoryLimit {
    /// Finds this process's memory-limit file (its own cgroup's, v1 or v2), from the
    /// `/proc` and cgroup roots lingerwatch was given.
    pub(crate) fn find(proc_root: &Path, cgroup_root: &Path) -> Self {
        let mut buf = [0u8; 4096];
        let own = proc_root.join("self/cgroup");
        let n = read_small(&own, &mut buf)
            .or_else(|| read_small(Path::new("/proc/self/cgroup"), &mut buf));
        let file = n
            .and_then(|n| buf.get(..n))
            .map(|text| limit_files(text, cgroup_root))
            .and_then(|candidates| candidates.into_iter().find(|p| p.is_file()))
            .and_then(|path| ReopenlessFile::open(&path).ok());
        let mut me = MemoryLimit {
            file,
            loadavg: proc_root.join("loadavg"),
            limit: None,
            said: Verdict::Enough,
        };
        me.limit = me.read();
        me
    }

    fn read(&self) -> Option<u64> {
        let mut buf = [0u8; 64];
        let n = self.file.as_ref()?.read(&mut buf).ok()?;
        parse_limit(buf.get(..n)?)
    }

    /// For the start-up summary.
    pub(crate) fn describe(&self) -> String {
        match self.limit {
            Some(limit) => format!(
                "memory limit {} MiB (enough for about {} host processes)",
                mib_up(limit),
                covers(limit)
            ),
            None => "no memory limit".to_owned(),
        }
    }

    /// Before the first scan (which is what would be killed): the tasks of
    /// `/proc/loadavg` are an upper bound on the host's processes.
    pub(crate) fn warn_before_first_scan(&mut self) {
        let mut buf = [0u8; 4096];
        let Some(tasks) = read_small(&self.loadavg, &mut buf)
            .and_then(|n| buf.get(..n))
            .and_then(tasks_from_loadavg)
        else {
            return;
        };
        if let Verdict::Low { limit, needed } = judge(self.limit, tasks) {
            log!(
                "warning: the memory limit, {} MiB, may not survive even the first scan: the host runs up to {tasks} tasks, and the kernel's cache of their /proc entries is charged to this container ({RULE}); set the limit to at least {} MiB",
                mib_up(limit),
                mib_up(needed)
            );
            self.said = Verdict::Low { limit, needed };
        }
    }

    /// After a scan that listed `host_processes`: reads the limit again and says when the
    /// verdict changes. True while the limit is too low.
    pub(crate) fn check(&mut self, host_processes: u64) -> bool {
        self.limit = self.read();
        let verdict = judge(self.limit, host_processes);
        match (verdict, self.said) {
            (Verdict::Low { limit, needed }, Verdict::Enough) => log!(
                "warning: the memory limit, {} MiB, is below what /proc needs beside {host_processes} host processes: the kernel's cache of their /proc entries is charged to this container ({RULE}), so it will be OOM-killed, again and again; set the limit to at least {} MiB",
                mib_up(limit),
                mib_up(needed)
            ),
            (Verdict::Enough, Verdict::Low { .. }) => log!("the memory limit is enough for this host again"),
            _ => {}
        }
        self.said = verdict;
        verdict != Verdict::Enough
    }
}
