//! A counting global allocator, and one daemon tick (scan, alert table, metrics textfile,
//! rendering) driven by hand: shared by `tests/no_alloc.rs` and the bench harness
//! (`scripts/bench/scan.rs`). Counting is per thread, so other threads' allocations (a
//! test harness, a child spawner) never count.
#![allow(unsafe_code)] // GlobalAlloc is an unsafe trait; the impl only forwards to System.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use lingerwatch::alert::outbox::{Cadence, Outcome};
use lingerwatch::alert::policy::Threshold;
use lingerwatch::alert::{AlertTable, Batch, Kind, Policy, WatchList};
use lingerwatch::config::{Format, Lang};
use lingerwatch::deliver::render::{
    batch_max, new_body, render_batch, Body, Now, RenderContext, Text,
};
use lingerwatch::proc::found::{ScanConfig, ScanReport};
use lingerwatch::proc::scan::Scanner;

/// Install with `#[global_allocator] static GLOBAL: Counting = Counting;` in the crate.
pub struct Counting;

thread_local! {
    // Const-initialised and without Drop, so touching them never allocates. Per thread,
    // so tests running in parallel never see or reset each other's counts.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    if COUNTING.with(Cell::get) {
        ALLOCS.with(|a| a.set(a.get() + 1));
    }
}

// SAFETY: every method forwards to `System` unchanged; counting has no effect on memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Counts this thread's allocations from now on (or stops).
pub fn count_on_this_thread(on: bool) {
    COUNTING.with(|c| c.set(on));
}

/// Allocations counted on this thread so far, and resets the count.
pub fn take_count() -> u64 {
    ALLOCS.with(|a| a.replace(0))
}

/// Everything the daemon keeps across ticks, allocated once.
pub struct TickRig {
    pub scanner: Scanner,
    pub report: Box<ScanReport>,
    watch: Box<WatchList>,
    table: Box<AlertTable>,
    batch: Box<Batch>,
    text: Box<Text>,
    body: Body,
    /// The metrics textfile, rewritten every tick as the daemon does.
    textfile: lingerwatch::host::metrics::textfile::Textfile,
    _textfile_dir: tempfile::TempDir,
    /// Bodies rendered, and RESOLVED messages among what they carried.
    pub rendered: u64,
    pub resolved: u64,
}

impl TickRig {
    /// A rig on the real /proc with one destination; cooldown 0, so every lingering
    /// process is rendered on every tick.
    pub fn new(cfg: ScanConfig, threshold: Threshold) -> Self {
        let policy = Policy {
            threshold,
            cooldown_ms: 0,
            tick_ms: 1000,
        };
        let textfile_dir = tempfile::tempdir().unwrap();
        let textfile = lingerwatch::host::metrics::textfile::Textfile::open(
            &textfile_dir.path().join("lw.prom"),
        )
        .unwrap();
        TickRig {
            scanner: Scanner::new(std::path::Path::new("/proc"), cfg).unwrap(),
            report: Box::default(),
            watch: Box::default(),
            table: Box::new(AlertTable::new(policy, &[Cadence::Messages])),
            batch: Box::default(),
            text: Box::new(Text::new()),
            body: new_body(),
            textfile,
            _textfile_dir: textfile_dir,
            rendered: 0,
            resolved: 0,
        }
    }

    /// One tick as the daemon does it; `round` picks the format and language, so every
    /// renderer runs. Delivery is taken as done.
    pub fn tick(&mut self, round: u64) {
        let now_ms = lingerwatch::proc::sys::boot_clock_ms();
        self.table.watch_list(&mut self.watch);
        self.scanner
            .scan(now_ms, &self.watch, &mut self.report)
            .unwrap();
        let summary = self.table.tick(now_ms, &self.report);
        let snapshot = lingerwatch::host::metrics::Snapshot {
            matching: self.report.all().len() as u32,
            untracked: summary.untracked,
            alerts_total: lingerwatch::alert::PerKind {
                firing: u64::from(summary.fired),
                reminder: 0,
                resolved: u64::from(summary.resolved),
            },
            ..Default::default()
        };
        self.textfile.write(&snapshot).unwrap();
        let format = Format::ALL[(round % 5) as usize];
        let ctx = RenderContext {
            format,
            lang: if round % 2 == 0 { Lang::En } else { Lang::Ru },
            host: "host",
            telegram_chat_id: "1",
            threshold_s: 0,
            interval_s: 30,
            btime_s: Some(1_764_340_110),
            clk_tck: 100,
        };
        let now = Now {
            boot_ms: now_ms,
            wall_s: 1_764_440_110,
        };
        while self
            .table
            .take_due(0, now_ms, batch_max(format), &mut self.batch)
        {
            let up_to =
                render_batch(&ctx, &self.batch, now, &mut self.text, &mut self.body).unwrap();
            self.rendered += u64::from(!self.body.is_empty());
            let carried = self.batch.messages().iter().filter(|m| m.seq <= up_to);
            self.resolved += carried.filter(|m| m.kind == Kind::Resolved).count() as u64;
            self.table
                .settle(0, up_to, Outcome::Delivered, self.batch.dropped, now_ms);
        }
    }
}
