//! lingerwatch's cost against what users would otherwise run, measured in one run and
//! interleaved (these machines are noisy: medians and ratios, never absolute verdicts).
//!
//! For N extra processes (0, 1000, 4000; about 1% with `pytest` in argv):
//! - one in-process `Scanner::scan` of the real /proc;
//! - the syscall floor, `scripts/bench/floor/` (its own crate at opt-level 3, run as a
//!   child that times each scan it is asked for): getdents64 of /proc into a fixed
//!   buffer, then per pid open/read/close of `cmdline` into a fixed buffer, NULs to
//!   spaces, a fast substring search, and a `stat` read for matches; nothing else;
//! - `pgrep -f pytest` (procps), the tool a user would reach for.
//!
//! Then, at the largest N: `lingerwatch scan` as a whole process against `pgrep -f`, and
//! zero heap allocations over many daemon ticks (scan, alert table, outbox, rendering),
//! counted by a global allocator on this thread.
//!
//! It starts its processes itself and kills exactly those, by pid (also listed in
//! $BENCH_PIDFILE so `scripts/bench.sh` can kill them if this is interrupted).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench may stop on a broken machine

#[path = "../../tests/common/alloc_count.rs"]
mod alloc_count;

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloc_count::{count_on_this_thread, take_count, Counting, TickRig};
use lingerwatch::proc::found::ScanReport;
use lingerwatch::proc::scan::Scanner;

#[global_allocator]
static GLOBAL: Counting = Counting;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The processes this bench started.
struct Crowd {
    children: Vec<Child>,
    _dir: tempfile::TempDir,
}

impl Crowd {
    /// `n` sleeping processes with varied argv; every hundredth has `pytest` in argv[0].
    fn spawn(n: usize, pidfile: Option<&str>) -> Crowd {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            "python3",
            "node",
            "postgres",
            "nginx-worker",
            "java",
            "ruby",
            "gunicorn",
            "celery",
        ];
        let mut children = Vec::with_capacity(n);
        let mut list = pidfile.map(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .unwrap()
        });
        for i in 0..n {
            let name = if i % 100 == 0 {
                format!("pytest-bench-{i}")
            } else {
                format!("{}-{i}", names[i % names.len()])
            };
            let link = dir.path().join(&name);
            std::os::unix::fs::symlink("/bin/sleep", &link).unwrap();
            let mut cmd = Command::new(&link);
            cmd.arg("100000");
            // Varied argv lengths (sleep adds its arguments up).
            for _ in 0..(i % 7) {
                cmd.arg("0");
            }
            let child = cmd
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            if let Some(f) = list.as_mut() {
                writeln!(f, "{}", child.id()).unwrap();
            }
            children.push(child);
        }
        Crowd {
            children,
            _dir: dir,
        }
    }
}

impl Drop for Crowd {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
        }
        for c in &mut self.children {
            let _ = c.wait();
        }
    }
}

/// The syscall floor (`scripts/bench/floor/`, built at opt-level 3 outside this crate's
/// size-optimised profile), kept running: each line written to it is one scan, timed in
/// its own process, so its figure is in-process as lingerwatch's is.
struct Floor {
    child: Child,
    out: std::io::BufReader<std::process::ChildStdout>,
}

impl Floor {
    fn start(pidfile: Option<&str>) -> Self {
        let bin = std::env::var("BENCH_FLOOR_BIN").expect(
            "BENCH_FLOOR_BIN: the floor binary (scripts/bench.sh builds it from scripts/bench/floor)",
        );
        let mut child = Command::new(bin)
            .args(["--serve", "pytest"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(p) = pidfile {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .unwrap();
            writeln!(f, "{}", child.id()).unwrap();
        }
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        Floor { child, out }
    }

    /// One scan: (seconds, pids).
    fn scan(&mut self) -> (f64, u32) {
        use std::io::BufRead;
        writeln!(self.child.stdin.as_mut().unwrap()).unwrap();
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        let mut fields = line.split_whitespace().map(|f| f.parse::<u64>().unwrap());
        let ns = fields.next().unwrap();
        let pids = fields.next().unwrap();
        (ns as f64 / 1e9, pids as u32)
    }
}

impl Drop for Floor {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn time_process(cmd: &mut Command) -> f64 {
    let t = Instant::now();
    let status = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let elapsed = t.elapsed().as_secs_f64();
    assert!(status.code().is_some());
    elapsed
}

struct Row {
    n: usize,
    pids: u32,
    lw_s: f64,
    floor_s: f64,
    pgrep_s: f64,
}

fn main() {
    let ns: Vec<usize> = std::env::var("BENCH_N")
        .unwrap_or_else(|_| "0,1000,4000".into())
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let rounds = env_u64("BENCH_ROUNDS", 31) as usize;
    let pidfile = std::env::var("BENCH_PIDFILE").ok();
    let lw_bin = std::env::var("BENCH_LINGERWATCH_BIN").ok();

    let cfg = lingerwatch::config::load(|_| None, [std::ffi::OsString::from("scan")]).unwrap();
    let mut scanner = Scanner::new(std::path::Path::new("/proc"), cfg.scan.clone()).unwrap();
    let mut report = Box::<ScanReport>::default();
    let mut floor = Floor::start(pidfile.as_deref());

    println!("lingerwatch scan benchmark: {rounds} interleaved rounds per N, medians");
    println!(
        "{:>6} {:>6} | {:>10} {:>9} | {:>10} {:>9} | {:>10} {:>9} | {:>8} {:>8}",
        "N",
        "pids",
        "lw ms",
        "lw us/pid",
        "floor ms",
        "fl us/pid",
        "pgrep ms",
        "pg us/pid",
        "lw/floor",
        "pgrep/lw"
    );
    let mut rows = Vec::new();
    let mut crowd_for_last = None;
    for (idx, &n) in ns.iter().enumerate() {
        let crowd = Crowd::spawn(n, pidfile.as_deref());
        std::thread::sleep(Duration::from_millis(300));
        let (mut lw, mut fl, mut pg) = (Vec::new(), Vec::new(), Vec::new());
        let mut pids = 0;
        for r in 0..rounds {
            let t = Instant::now();
            scanner
                .scan(lingerwatch::proc::sys::boot_clock_ms(), &[], &mut report)
                .unwrap();
            lw.push(t.elapsed().as_secs_f64());
            pids = report.pids_seen;
            let (s, p) = floor.scan();
            fl.push(s);
            pids = pids.max(p);
            if r % 3 == 0 {
                pg.push(time_process(Command::new("pgrep").args(["-f", "pytest"])));
            }
        }
        let row = Row {
            n,
            pids,
            lw_s: median(&mut lw),
            floor_s: median(&mut fl),
            pgrep_s: median(&mut pg),
        };
        let per = |s: f64| s * 1e6 / f64::from(row.pids.max(1));
        println!("{:>6} {:>6} | {:>10.3} {:>9.2} | {:>10.3} {:>9.2} | {:>10.3} {:>9.2} | {:>8.2} {:>8.1}",
            n, row.pids, row.lw_s * 1e3, per(row.lw_s), row.floor_s * 1e3, per(row.floor_s),
            row.pgrep_s * 1e3, per(row.pgrep_s), row.lw_s / row.floor_s, row.pgrep_s / row.lw_s);
        rows.push(row);
        if idx + 1 == ns.len() {
            crowd_for_last = Some(crowd);
        }
    }
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        let dp = f64::from(last.pids.saturating_sub(first.pids).max(1));
        let m_lw = (last.lw_s - first.lw_s) * 1e6 / dp;
        let m_fl = (last.floor_s - first.floor_s) * 1e6 / dp;
        let m_pg = (last.pgrep_s - first.pgrep_s) * 1e6 / dp;
        println!("\nmarginal cost of one more process (N={} -> N={}): lingerwatch {:.2} us, floor {:.2} us, pgrep -f {:.2} us",
            first.n, last.n, m_lw, m_fl, m_pg);
        println!(
            "  lingerwatch / floor = {:.3}  (budget <= 1.10)",
            m_lw / m_fl
        );
    }

    // The whole program against pgrep, at the largest N.
    if let Some(bin) = &lw_bin {
        let n = ns.last().copied().unwrap_or(0);
        let (mut lw, mut pg) = (Vec::new(), Vec::new());
        for _ in 0..rounds.max(11) {
            lw.push(time_process(Command::new(bin).args([
                "scan",
                "--pattern",
                "pytest",
            ])));
            pg.push(time_process(Command::new("pgrep").args(["-f", "pytest"])));
        }
        let (lw, pg) = (median(&mut lw), median(&mut pg));
        println!("\nwhole process at N={n}: `lingerwatch scan` {:.2} ms, `pgrep -f pytest` {:.2} ms: pgrep/lingerwatch = {:.1}x  (budget >= 5x)",
            lw * 1e3, pg * 1e3, pg / lw);
    }

    // Zero allocations per daemon tick: scan, alert table, outbox, rendering (the same
    // tick rig as tests/no_alloc.rs), counted on this thread only.
    let ticks = env_u64("BENCH_ALLOC_TICKS", 10_000);
    let mut scan_cfg = cfg.scan.clone();
    scan_cfg.older_than_s = 0;
    let threshold = lingerwatch::alert::policy::Threshold {
        age_s: 0,
        orphans_only: false,
    };
    let mut rig = TickRig::new(scan_cfg, threshold);
    let start = Instant::now();
    for t in 0..=ticks {
        // The first tick is start-up (it fills the outbox's message slot).
        count_on_this_thread(t > 0);
        rig.tick(t);
        count_on_this_thread(false);
    }
    let allocs = take_count();
    println!("\nallocations over {ticks} daemon ticks (scan of {} pids, {} alerts per tick, {} bodies rendered, {} RESOLVED): {allocs}  (budget 0) in {:.1} s",
        rig.report.pids_seen, rig.report.tops().count(), rig.rendered, rig.resolved, start.elapsed().as_secs_f64());
    drop(crowd_for_last);
}
