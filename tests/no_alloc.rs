//! After start-up a scan allocates nothing: a counting global allocator watches the
//! scanning thread while many scans of the real `/proc` run and processes come and go.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails
#![allow(unsafe_code)] // GlobalAlloc is an unsafe trait; the impl only forwards to System.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // Const-initialised and without Drop, so reading it never allocates.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: every method forwards to `System` unchanged; counting has no effect on memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn scans_of_the_real_proc_allocate_nothing_while_processes_come_and_go() {
    let dir = tempfile::tempdir().unwrap();
    let name = common::unique_pytest_name("alloc");
    // A matching orphan, so the match path (stat, cgroup, parent stat, folding) runs too.
    let (orphan, _) = common::spawn_orphan(dir.path(), &name);
    // A shell that keeps starting and ending short-lived processes during the scans.
    let mut churn = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg("i=0; while [ $i -lt 3000 ]; do /bin/true; i=$((i+1)); done")
        .spawn()
        .unwrap();
    let _churn_guard = common::Spawned { pid: churn.id() };

    let cfg = common::scan_config(&[&name, "/bin/true"], 0);
    let mut scanner = lingerwatch::scan::Scanner::new(std::path::Path::new("/proc"), cfg).unwrap();
    let mut report = Box::<lingerwatch::scan::ScanReport>::default();
    scanner
        .scan(lingerwatch::sys::boot_clock_ms(), &mut report)
        .unwrap();

    // The counter itself works: one allocation on this thread is seen.
    COUNTING.with(|c| c.set(true));
    drop(std::hint::black_box(Box::new(7u64)));
    COUNTING.with(|c| c.set(false));
    assert_eq!(ALLOCS.swap(0, Ordering::Relaxed), 1);

    let mut saw_orphan = 0;
    COUNTING.with(|c| c.set(true));
    for _ in 0..300 {
        scanner
            .scan(lingerwatch::sys::boot_clock_ms(), &mut report)
            .unwrap();
        saw_orphan += report.found.iter().filter(|f| f.pid == orphan.pid).count();
    }
    COUNTING.with(|c| c.set(false));
    let allocs = ALLOCS.load(Ordering::Relaxed);
    assert_eq!(allocs, 0, "heap allocations during 300 scans");
    assert_eq!(saw_orphan, 300, "every scan saw the orphan");
    assert!(report.pids_seen > 1);
    let _ = churn.kill();
    let _ = churn.wait();
}

#[test]
fn daemon_ticks_scan_alert_queue_and_render_without_allocating() {
    use lingerwatch::alert::{AlertTable, Policy};
    use lingerwatch::config::{Format, Lang};
    use lingerwatch::outbox::{Outbox, Outcome};
    use lingerwatch::render::{render_body, Body, Now, RenderContext, Text};

    let dir = tempfile::tempdir().unwrap();
    let name = common::unique_pytest_name("tick");
    let cfg = common::scan_config(&[&name], 0);
    let mut scanner = lingerwatch::scan::Scanner::new(std::path::Path::new("/proc"), cfg).unwrap();
    let mut report = Box::<lingerwatch::scan::ScanReport>::default();
    let mut table = AlertTable::new(Policy {
        cooldown_ms: 0,
        refresh_each_tick: false,
    });
    let mut outbox = Box::new(Outbox::new(1000));
    let mut text = Box::new(Text::new());
    let mut body = Box::new(Body::new());
    let mut slot = None;
    let formats = [
        Format::Json,
        Format::Slack,
        Format::Discord,
        Format::Telegram,
        Format::Alertmanager,
    ];
    let mut rendered = 0usize;
    let mut resolved = 0usize;

    // Ticks with a matching orphan alive (FIRING, then REMINDER every tick: cooldown 0),
    // then killed (RESOLVED): every decision is queued and rendered in every format.
    let (orphan, _) = common::spawn_orphan(dir.path(), &name);
    // Over the threshold of 0 s means at least a whole second old.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let mut tick = |round: usize, counting: bool| {
        let now_ms = lingerwatch::sys::boot_clock_ms();
        COUNTING.with(|c| c.set(counting));
        scanner.scan(now_ms, &mut report).unwrap();
        table.tick(now_ms, &report, |e| {
            outbox.push_event(e, now_ms);
        });
        while outbox.take_due(now_ms, &mut slot) {
            let msg = slot.as_ref().unwrap();
            let ctx = RenderContext {
                format: formats[round % formats.len()],
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
            render_body(&ctx, msg, 0, now, &mut text, &mut body);
            rendered += usize::from(!body.is_empty());
            resolved += usize::from(msg.kind == lingerwatch::alert::Kind::Resolved);
            let seq = msg.seq;
            outbox.settle(seq, Outcome::Delivered, 0, now_ms);
        }
        COUNTING.with(|c| c.set(false));
    };
    tick(0, false); // the first FIRING's slot is filled outside the count (start-up)
    for round in 1..200 {
        tick(round, true);
    }
    common::kill(orphan.pid);
    while common::ppid_of(orphan.pid).is_some() {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    for round in 200..210 {
        tick(round, true);
    }
    assert_eq!(
        ALLOCS.load(Ordering::Relaxed),
        0,
        "heap allocations during 209 daemon ticks"
    );
    assert!(
        rendered >= 200,
        "firing and reminders were rendered: {rendered}"
    );
    assert_eq!(resolved, 1, "and the RESOLVED once the orphan was killed");
}
