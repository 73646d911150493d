//! `lingerwatch run`: the loop, in named steps. [`Daemon::start`] reads what it needs and
//! opens every file, while a thread of its own already answers signals (it ends before
//! the lock-down); then threads are spawned (a courier per destination, and one that
//! answers signals); then [`Daemon::tick`] scans and lets the alert table decide, every
//! interval ([`Daemon::wait_next`]; a tick also marks the matches whose launcher died,
//! [`crate::proc::lineage`]), until a signal ends the process or `--once` /
//! `--ticks` say it is done ([`Daemon::finish`]).
//!
//! Everything a tick touches is allocated in `start`: a tick itself allocates nothing
//! (the network client allocates only when it sends).

use std::sync::Arc;

use crate::alert::outbox::Cadence;
use crate::alert::{AlertTable, Policy, WatchList};
use crate::config::{Action, Config, Format};
use crate::deliver::courier::{Courier, RenderSettings, Shared};
use crate::host::heartbeat::record::{Flags, Record};
use crate::host::heartbeat::Heartbeat;
use crate::host::signals::Signals;
use crate::host::terminate::{self, Terminator};
use crate::log;
use crate::proc::found::{ScanError, ScanReport};
use crate::proc::lineage::Launchers;
use crate::proc::scan::Scanner;
use crate::proc::sys::{boot_clock_ms, sleep_until_boot_ms};

mod destinations;
mod lines;
pub(crate) mod warnings;

use crate::host::memory::limit;
use crate::host::metrics::exposition;
use destinations::{destinations, Destinations};

/// What the log has already said, so each change is said once.
#[derive(Default)]
struct Said {
    counts: (u32, u32),
    proc_error: Option<i32>,
    namespace: bool,
    first_scan: bool,
}

pub struct Daemon<'a> {
    cfg: &'a Config,
    scanner: Scanner,
    report: Box<ScanReport>,
    /// Who launched each match, to see a launcher die.
    launchers: Box<Launchers>,
    watch: Box<WatchList>,
    shared: Arc<Shared>,
    /// Until [`Daemon::spawn`]; kept on this thread with `--once`.
    couriers: Vec<Courier>,
    /// The destinations as logs name them, in courier order.
    names: Vec<String>,
    /// The same with the proxy each goes through, for the start-up summary.
    routes: Vec<String>,
    host: String,
    /// TCP ports the destinations (or their proxies) are reached on; `None`: stdout.
    ports: Option<Vec<u16>>,
    heartbeat: Option<Heartbeat>,
    heartbeat_error: Option<crate::host::heartbeat::FileError>,
    /// The metrics textfile, when configured.
    exposition: Option<exposition::Exposition>,
    memory: limit::MemoryLimit,
    /// With `WATCHDOG_PROC_ACTION=terminate`.
    terminator: Option<Box<Terminator>>,
    record: Record,
    said: Said,
    next_tick_ms: u64,
    ticks_done: u64,
}

/// Runs the daemon; returns the exit status.
pub fn run(cfg: &Config) -> u8 {
    // Before any thread exists, so all inherit the mask.
    let signals = match Signals::block() {
        Ok(s) => s,
        Err(e) => {
            log!("cannot block signals: {e}");
            return 2;
        }
    };
    let mut daemon = match start_answering(signals, || Daemon::start(cfg)) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let confinement = match daemon.lock_down() {
        Ok(c) => c,
        Err(code) => return code,
    };
    daemon.announce(confinement);
    if let Err(code) = daemon.spawn(signals) {
        return code;
    }
    loop {
        let status = daemon.tick(boot_clock_ms);
        if let Some(code) = daemon.finish(status) {
            return code;
        }
        daemon.wait_next();
    }
}

impl<'a> Daemon<'a> {
    /// Reads the configuration into a ready daemon: `/proc` open, destinations built,
    /// heartbeat file open. No thread yet.
    pub fn start(cfg: &'a Config) -> Result<Self, u8> {
        let mut scanner = warnings::open_scanner(&cfg.proc_root, cfg.scan.clone())?
            .with_pods_dir(&cfg.kubelet_pods_dir);
        let settings = Arc::new(render_settings(cfg, &mut scanner));
        let Destinations {
            couriers,
            names,
            routes,
            ports,
        } = destinations(cfg, &settings)?;
        let table = alert_table(cfg, couriers.len());
        let terminator = match cfg.action {
            Action::Alert => None,
            Action::Terminate => Some(Terminator::start(terminate_settings(cfg))?),
        };
        let exposition = match &cfg.textfile {
            Some(path) => Some(exposition::Exposition::open(path, cfg.textfile_top)?),
            None => None,
        };
        let (heartbeat, heartbeat_error) = match Heartbeat::create(&cfg.heartbeat_file) {
            Ok(h) => (Some(h), None),
            Err(e) => (None, Some(e)),
        };
        Ok(Daemon {
            cfg,
            scanner,
            report: Box::default(),
            launchers: Box::default(),
            watch: Box::default(),
            shared: Arc::new(Shared::new(table)),
            couriers,
            names,
            routes,
            host: settings.host.clone(),
            ports,
            heartbeat,
            heartbeat_error,
            exposition,
            memory: limit::MemoryLimit::find(&cfg.proc_root, &cfg.cgroup_root),
            terminator,
            record: Record {
                boot_ms: 0,
                interval_s: cfg.interval_s,
                boot_id: crate::proc::sys::boot_id(),
                flags: Flags::default(),
            },
            said: Said::default(),
            next_tick_ms: boot_clock_ms(),
            ticks_done: 0,
        })
    }

    /// Locks the process in (see [`crate::host::sandbox`]), unless the configuration says not
    /// to: after every file is open, before any thread starts. The status, or `None` when
    /// it is off.
    pub(crate) fn lock_down(&self) -> Result<Option<crate::host::sandbox::Status>, u8> {
        let plan = crate::host::sandbox::Plan {
            confine_reads: self.cfg.confine_reads,
            read_trees: vec![self.cfg.proc_root.clone()],
            // The resolver's files (the memory limit is read through an fd opened
            // before).
            read_files: crate::host::sandbox::RESOLVER_FILES
                .iter()
                .map(Into::into)
                .collect(),
            write_dirs: self
                .cfg
                .textfile
                .iter()
                .map(|p| crate::host::metrics::textfile::dir_of(p))
                .collect(),
            connect_ports: self.ports.clone(),
            threads: true,
            signals: self.terminator.is_some(),
        };
        crate::host::sandbox::confine(self.cfg.sandbox.on(), &plan)
    }

    /// The start-up summary, and what it could not set up.
    pub(crate) fn announce(&mut self, confinement: Option<crate::host::sandbox::Status>) {
        lines::startup(
            self.cfg,
            &self.host,
            &self.routes,
            &self.memory.describe(),
            confinement,
        );
        if let Some(e) = self.heartbeat_error {
            lines::heartbeat_unusable(self.cfg, e);
        }
        self.memory.warn_before_first_scan();
    }

    /// Starts the threads: one answering signals, and a courier per destination (with
    /// `--once` the couriers stay on this thread).
    pub fn spawn(&mut self, signals: Signals) -> Result<(), u8> {
        let shared = Arc::clone(&self.shared);
        let names = self.names.clone();
        spawn_named("signals", move || {
            lines::answer_signals(&signals, &shared, &names)
        })?;
        if self.cfg.once {
            return Ok(());
        }
        for courier in self.couriers.drain(..) {
            let shared = Arc::clone(&self.shared);
            spawn_named("deliver", move || courier.run(shared))?;
        }
        Ok(())
    }

    /// One tick: scan, let the table decide, ring the couriers, stamp the heartbeat.
    /// Returns the status `scan` would exit with. Time comes only from `clock` (boot-clock
    /// milliseconds), read three times: the tick's time, the end of its scan (for the
    /// scan-duration metric) and the heartbeat's stamp.
    pub fn tick(&mut self, clock: impl Fn() -> u64) -> u8 {
        let now_ms = clock();
        let status = if self.cfg.enabled {
            self.scan_and_decide(now_ms, &clock)
        } else {
            0
        };
        if let Some(hb) = &self.heartbeat {
            self.record.boot_ms = clock();
            let _ = hb.beat(&self.record);
        }
        self.ticks_done = self.ticks_done.saturating_add(1);
        status
    }

    fn scan_and_decide(&mut self, now_ms: u64, clock: &impl Fn() -> u64) -> u8 {
        self.shared.lock().watch_list(&mut self.watch);
        let scanned = self.scanner.scan(now_ms, &self.watch, &mut self.report);
        let scan_ms = clock().saturating_sub(now_ms);
        if let Err(ScanError::ProcUnreadable(errno)) = scanned {
            if self.said.proc_error != Some(errno) {
                log!(
                    "scan failed: cannot list {}: {}; will retry every tick",
                    self.cfg.proc_root.display(),
                    std::io::Error::from_raw_os_error(errno)
                );
            }
            self.said.proc_error = Some(errno);
            return 2;
        }
        self.note_scan();
        self.launchers.observe(now_ms, &mut self.report);
        let (summary, snapshot, lingering) = {
            let mut table = self.shared.lock();
            let summary = table.tick(now_ms, &self.report);
            // Under the same lock: the FIRING the couriers take says when it ends.
            if let Some(t) = self.terminator.as_mut() {
                t.tick(now_ms, &mut table);
            }
            let counts = self
                .terminator
                .as_ref()
                .map(|t| t.counts)
                .unwrap_or_default();
            let snapshot = (self.exposition.as_mut()).map(|e| {
                let mut s = e.count(&self.report, &summary, &table, scan_ms);
                (s.terminated_sigterm, s.terminated_sigkill) = (counts.term, counts.kill);
                s
            });
            // Whether anything lingers: tracked, or beyond the table.
            let lingering = summary.untracked > 0 || table.active() > 0;
            (summary, snapshot, lingering)
        };
        self.shared.ring();
        // The file is written without the lock: the couriers need not wait on a disk.
        if let (Some(e), Some(snapshot)) = (self.exposition.as_mut(), snapshot) {
            e.write(&snapshot);
        }
        lines::evictions(&summary, &self.names);
        if self.record.flags.blind {
            2
        } else {
            u8::from(lingering)
        }
    }

    /// Logs what changed in what the scan can see.
    fn note_scan(&mut self) {
        if self.said.proc_error.take().is_some() {
            log!("{} is readable again", self.cfg.proc_root.display());
        }
        if !self.said.namespace {
            warnings::namespace(self.scanner.namespace(), self.report.pids_seen);
            self.said.namespace = true;
        }
        if !self.said.first_scan {
            lines::first_scan(&self.report, &self.cfg.threshold);
            self.said.first_scan = true;
        }
        let counts = (self.report.unstored.count, self.report.errors);
        if counts != self.said.counts {
            warnings::counts(&self.report);
            self.said.counts = counts;
        }
        let blind = self.scanner.blindness(&self.report);
        if blind.is_some() != self.record.flags.blind {
            match blind {
                Some(b) => warnings::blindness(b),
                None => log!("every process is visible again"),
            }
        }
        self.record.flags.blind = blind.is_some();
        self.record.flags.memory_low = self.memory.check(u64::from(self.report.pids_seen));
    }

    /// With `--once` or `--ticks`, delivers what is due and says the exit status; `None`
    /// to go on.
    pub fn finish(&mut self, status: u8) -> Option<u8> {
        if let Some(n) = self.cfg.ticks {
            if self.ticks_done < n {
                return None;
            }
            // Let the couriers finish what is owed (bounded), then exit.
            let deadline = boot_clock_ms().saturating_add(self.cfg.timeout_s.saturating_mul(1000));
            self.shared.wait_all_settled(deadline);
            return Some(status);
        }
        if !self.cfg.once {
            return None;
        }
        for courier in &mut self.couriers {
            courier.deliver_due(&self.shared);
        }
        let left = self.shared.lock().owed_total();
        if left > 0 {
            let left = crate::text::count(left, "message was", "messages were");
            log!("{left} not delivered before exit");
        }
        Some(status)
    }

    /// Sleeps until the next tick is due (with `--ticks`, not at all). After a long stall
    /// (suspend, a stuck read) it ticks at once rather than catching up.
    pub(crate) fn wait_next(&mut self) {
        if self.cfg.ticks.is_some() {
            // Back to back: the benchmarks measure ticks, not waits.
            return;
        }
        self.next_tick_ms = self
            .next_tick_ms
            .saturating_add(self.cfg.interval_s.saturating_mul(1000));
        let now = boot_clock_ms();
        if self.next_tick_ms < now {
            self.next_tick_ms = now;
        }
        sleep_until_boot_ms(self.next_tick_ms);
    }
}

/// What every body needs besides its messages.
fn render_settings(cfg: &Config, scanner: &mut Scanner) -> RenderSettings {
    let host = match cfg.host_label.as_deref() {
        Some(h) if !h.is_empty() => h.to_owned(),
        _ => crate::proc::sys::hostname(),
    };
    RenderSettings {
        format: cfg.format,
        lang: cfg.lang,
        host,
        chat_id: cfg.telegram_chat_id.clone().unwrap_or_default(),
        threshold_s: cfg.threshold.age_s,
        interval_s: cfg.interval_s,
        btime_s: scanner.boot_time_s(),
        clk_tck: scanner.clk_tck(),
    }
}

/// The alert table, with a cadence per destination: Alertmanager keeps state and is told
/// everything on every tick; the others get messages.
fn alert_table(cfg: &Config, destinations: usize) -> AlertTable {
    let cadence = match cfg.format {
        Format::Alertmanager => Cadence::Refresh,
        _ => Cadence::Messages,
    };
    AlertTable::new(
        Policy {
            threshold: cfg.threshold,
            cooldown_ms: cfg.cooldown_s.saturating_mul(1000),
            tick_ms: cfg.interval_s.saturating_mul(1000),
        },
        &vec![cadence; destinations],
    )
    .with_severity_rule(cfg.severity)
    .with_min_millicores(cfg.min_millicores)
}

/// `__sandbox-probe WHAT`, for the tests: starts as `run` does, locks itself in (unless
/// the configuration says not to), then tries one forbidden thing and prints what
/// happened. A call on the seccomp kill list kills the process (SIGSYS) instead.
pub fn probe(cfg: &Config) -> u8 {
    let daemon = match Daemon::start(cfg) {
        Ok(d) => d,
        Err(code) => return code,
    };
    if let Err(code) = daemon.lock_down() {
        return code;
    }
    let what = cfg.probe.as_deref().unwrap_or("");
    let result = crate::host::sandbox::probe::attempt(what);
    println!("{what}: {result}");
    0
}

/// Runs `start` while a thread answers signals (SIGTERM stops the process even while
/// start-up waits on a file), and ends that thread before returning: the lock-down comes
/// next, with no other thread.
fn start_answering<T>(signals: Signals, start: impl FnOnce() -> Result<T, u8>) -> Result<T, u8> {
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&done);
    let thread = std::thread::Builder::new()
        .name("signals".into())
        .stack_size(256 * 1024)
        .spawn(move || lines::answer_while_starting(&signals, &flag))
        .map_err(|e| {
            log!("cannot start the signals thread: {e}");
            2u8
        })?;
    let started = start();
    done.store(true, std::sync::atomic::Ordering::Release);
    // A signal that comes now stays pending (blocked) for the thread `spawn` starts.
    let _ = thread.join();
    started
}

fn spawn_named(name: &str, f: impl FnOnce() + Send + 'static) -> Result<(), u8> {
    std::thread::Builder::new()
        .name(name.into())
        .stack_size(256 * 1024)
        .spawn(f)
        .map(|_| ())
        .map_err(|e| {
            log!("cannot start the {name} thread: {e}");
            2
        })
}

/// What the terminator is given of the configuration.
fn terminate_settings(cfg: &Config) -> terminate::Settings<'_> {
    terminate::Settings {
        proc_root: &cfg.proc_root,
        terminate_after_s: cfg.terminate_after_s,
        kill_after_s: cfg.kill_after_s,
        exclude: &cfg.scan.exclude,
        never: &cfg.never_terminate,
        dry_run: cfg.dry_run,
    }
}
