//! `lingerwatch run`: the loop. Scan every interval, feed the alert table, queue its
//! decisions, and let a delivery thread drain the outbox, so a slow or dead webhook never
//! holds up a scan. SIGTERM/SIGINT end it at once (within the wait of one `sigtimedwait`).
//!
//! Everything a tick touches is allocated here, before the loop: a tick itself allocates
//! nothing (the HTTP client allocates only when it sends).

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::alert::{AlertTable, Policy};
use crate::app::{open_scanner, warn_counts, warn_visibility};
use crate::config::{Config, Format};
use crate::deliver::{mask_url, send, Target};
use crate::heartbeat::Heartbeat;
use crate::outbox::{Message, Outbox, Outcome};
use crate::render::{render_body, Body, Now, RenderContext, Text};
use crate::scan::{ScanError, ScanReport};
use crate::signals::Termination;
use crate::sys::{boot_clock_ms, wall_clock_s};
use crate::text::{write_duration, FixedBuf};

/// What the delivery thread shares with the loop.
struct Shared {
    outbox: Mutex<Outbox>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Outbox> {
        // A poisoned lock only means a thread died mid-update; the outbox is still whole.
        self.outbox.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Settings the renderer needs, owned.
struct RenderSettings {
    format: Format,
    lang: crate::config::Lang,
    host: String,
    chat_id: String,
    threshold_s: u64,
    interval_s: u64,
    btime_s: Option<u64>,
    clk_tck: u64,
}

impl RenderSettings {
    fn context(&self) -> RenderContext<'_> {
        RenderContext {
            format: self.format,
            lang: self.lang,
            host: &self.host,
            telegram_chat_id: &self.chat_id,
            threshold_s: self.threshold_s,
            interval_s: self.interval_s,
            btime_s: self.btime_s,
            clk_tck: self.clk_tck,
        }
    }
}

/// One sender: renders the front message at send time and settles it.
struct Sender {
    target: Target,
    settings: RenderSettings,
    slot: Option<Message>,
    text: Box<Text>,
    body: Box<Body>,
}

impl Sender {
    /// Sends the due front message, if any; returns false when nothing was due.
    fn send_one(&mut self, shared: &Shared) -> bool {
        let dropped = {
            let outbox = shared.lock();
            if !outbox.take_due(boot_clock_ms(), &mut self.slot) {
                return false;
            }
            outbox.dropped_unreported()
        };
        let Some(msg) = self.slot.as_ref() else {
            return false;
        };
        let now = Now {
            boot_ms: boot_clock_ms(),
            wall_s: wall_clock_s(),
        };
        render_body(
            &self.settings.context(),
            msg,
            dropped,
            now,
            &mut self.text,
            &mut self.body,
        );
        let attempt = send(&self.target, self.body.as_str());
        let mut what = FixedBuf::<64>::new();
        let _ = msg.describe(&mut what);
        let (tries, retry_at) =
            shared
                .lock()
                .settle(msg.seq, attempt.outcome, dropped, boot_clock_ms());
        let status = attempt.status.unwrap_or(0);
        match (&self.target, attempt.outcome) {
            (Target::Stdout, Outcome::Delivered) => {}
            (Target::Webhook { .. }, Outcome::Delivered) => {
                eprintln!("lingerwatch: sent {} (HTTP {status})", what.as_str());
            }
            (_, Outcome::Refused) => eprintln!(
                "lingerwatch: webhook refused {} with HTTP {status}: a configuration error (check WATCHDOG_WEBHOOK_URL and the format); message dropped",
                what.as_str()
            ),
            (_, Outcome::Retry) => {
                let why = attempt.error.as_deref().unwrap_or("");
                let mut wait = FixedBuf::<24>::new();
                let _ = write_duration(&mut wait, retry_at.saturating_sub(boot_clock_ms()).div_ceil(1000));
                if status != 0 {
                    eprintln!(
                        "lingerwatch: delivery of {} failed (HTTP {status}), attempt {tries}; retrying in {}",
                        what.as_str(),
                        wait.as_str()
                    );
                } else {
                    eprintln!(
                        "lingerwatch: delivery of {} failed ({why}), attempt {tries}; retrying in {}",
                        what.as_str(),
                        wait.as_str()
                    );
                }
            }
        }
        true
    }

    /// The delivery thread: sends whatever is due, sleeps until the next retry or until
    /// the loop queues something.
    fn run(mut self, shared: Arc<Shared>) {
        loop {
            while self.send_one(&shared) {}
            let outbox = shared.lock();
            let now = boot_clock_ms();
            let wait_ms = match outbox.next_attempt_ms() {
                Some(at) if at <= now => continue,
                Some(at) => at.saturating_sub(now),
                None => 60_000,
            };
            let _ = shared
                .wake
                .wait_timeout(outbox, Duration::from_millis(wait_ms));
        }
    }
}

fn host_label(cfg: &Config) -> String {
    match cfg.host_label.as_deref() {
        Some(h) if !h.is_empty() => h.to_owned(),
        _ => String::from_utf8_lossy(rustix::system::uname().nodename().to_bytes()).into_owned(),
    }
}

fn patterns(set: &crate::parse::cmdline::PatternSet) -> String {
    let list: Vec<String> = set
        .iter()
        .map(|p| String::from_utf8_lossy(p.as_bytes()).into_owned())
        .collect();
    if list.is_empty() {
        "-".into()
    } else {
        list.join(",")
    }
}

/// Runs the daemon; returns the exit status.
pub fn run(cfg: &Config) -> u8 {
    // Before any thread exists, so all inherit the mask.
    let signals = match Termination::block() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("lingerwatch: cannot block SIGTERM/SIGINT: {e}");
            return 2;
        }
    };
    let mut scanner = match open_scanner(cfg) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let host = host_label(cfg);
    let target = match (&cfg.webhook_url, cfg.dry_run) {
        (Some(url), false) => Target::Webhook {
            url: url.clone(),
            timeout_s: cfg.timeout_s,
        },
        _ => Target::Stdout,
    };
    let mut threshold = FixedBuf::<24>::new();
    let _ = write_duration(&mut threshold, cfg.scan.age_threshold_s);
    let mut cooldown = FixedBuf::<24>::new();
    let _ = write_duration(&mut cooldown, cfg.cooldown_s);
    let alerts_to = match (&cfg.webhook_url, cfg.dry_run) {
        (_, true) => "stdout (dry run: nothing is sent)".to_owned(),
        (Some(url), false) => mask_url(url),
        (None, false) => "stdout (no WATCHDOG_WEBHOOK_URL)".to_owned(),
    };
    eprintln!(
        "lingerwatch {}: {} {} every {}s for [{}] (exclude [{}]) older than {}{}; alerts to {} as {} (timeout {}s, cooldown {}, lang {}, host {}); heartbeat {}",
        env!("CARGO_PKG_VERSION"),
        if cfg.enabled { "watching" } else { "DISABLED by WATCHDOG_PROC_ENABLED=false, idle; would watch" },
        cfg.proc_root.display(),
        cfg.interval_s,
        patterns(&cfg.scan.include),
        patterns(&cfg.scan.exclude),
        threshold.as_str(),
        if cfg.scan.orphans_only { ", orphans only" } else { "" },
        alerts_to,
        cfg.format.name(),
        cfg.timeout_s,
        cooldown.as_str(),
        cfg.lang.name(),
        host,
        cfg.heartbeat_file.display(),
    );
    let heartbeat = match Heartbeat::create(&cfg.heartbeat_file) {
        Ok(h) => Some(h),
        Err(e) => {
            eprintln!(
                "lingerwatch: warning: cannot write the heartbeat file {} ({}): `lingerwatch health` will report unhealthy; point WATCHDOG_HEARTBEAT_FILE at a writable place (a tmpfs)",
                cfg.heartbeat_file.display(),
                std::io::Error::from_raw_os_error(e.raw_os_error())
            );
            None
        }
    };

    let interval_ms = cfg.interval_s.saturating_mul(1000);
    let shared = Arc::new(Shared {
        outbox: Mutex::new(Outbox::new(interval_ms)),
        wake: Condvar::new(),
    });
    let sender = Sender {
        target,
        settings: RenderSettings {
            format: cfg.format,
            lang: cfg.lang,
            host,
            chat_id: cfg.telegram_chat_id.clone().unwrap_or_default(),
            threshold_s: cfg.scan.age_threshold_s,
            interval_s: cfg.interval_s,
            btime_s: scanner.boot_time_s(),
            clk_tck: scanner.clk_tck(),
        },
        slot: None,
        text: Box::new(Text::new()),
        body: Box::new(Body::new()),
    };
    // `--once` sends from this thread before it exits; otherwise a thread of its own does.
    let mut once_sender = None;
    if cfg.once {
        once_sender = Some(sender);
    } else {
        let shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("deliver".into())
            .stack_size(256 * 1024)
            .spawn(move || sender.run(shared));
        if let Err(e) = spawned {
            eprintln!("lingerwatch: cannot start the delivery thread: {e}");
            return 2;
        }
    }

    let mut table = AlertTable::new(Policy {
        cooldown_ms: cfg.cooldown_s.saturating_mul(1000),
        refresh_each_tick: cfg.format == Format::Alertmanager,
    });
    let mut report = Box::<ScanReport>::default();
    let mut last_counts = (0u32, 0u32, 0u32);
    let mut last_error: Option<i32> = None;
    let mut warned_visibility = false;
    let mut next_tick_ms = boot_clock_ms();
    let mut ticks_done: u64 = 0;
    loop {
        let now_ms = boot_clock_ms();
        let mut status = 0u8;
        if cfg.enabled {
            match scanner.scan(now_ms, &mut report) {
                Ok(()) => {
                    if last_error.take().is_some() {
                        eprintln!("lingerwatch: {} is readable again", cfg.proc_root.display());
                    }
                    if !warned_visibility {
                        warn_visibility(&mut scanner, report.pids_seen);
                        warned_visibility = true;
                    }
                    let counts = (report.not_tracked, report.denied, report.errors);
                    if counts != last_counts {
                        warn_counts(&report);
                        last_counts = counts;
                    }
                    let mut outbox = shared.lock();
                    table.tick(now_ms, &report, |event| {
                        if let Some(d) = outbox.push_event(event, now_ms) {
                            eprintln!(
                                "lingerwatch: outbox full ({} messages): dropped a {} about pid {}; {} dropped so far",
                                crate::outbox::OUTBOX_CAPACITY,
                                d.kind.as_str(),
                                d.pid.unwrap_or(0),
                                outbox.dropped_total
                            );
                        }
                    });
                    drop(outbox);
                    shared.wake.notify_one();
                    status = u8::from(report.any_over_threshold());
                }
                Err(ScanError::ProcUnreadable(errno)) => {
                    if last_error != Some(errno) {
                        eprintln!(
                            "lingerwatch: scan failed: cannot list {}: {}; will retry every tick",
                            cfg.proc_root.display(),
                            std::io::Error::from_raw_os_error(errno)
                        );
                    }
                    last_error = Some(errno);
                    status = 2;
                }
            }
        }
        if let Some(hb) = &heartbeat {
            let _ = hb.beat(boot_clock_ms(), cfg.interval_s);
        }
        ticks_done = ticks_done.saturating_add(1);
        if let Some(n) = cfg.ticks {
            if ticks_done < n {
                continue;
            }
            // Let the delivery thread finish what is queued (bounded), then exit.
            let deadline = boot_clock_ms().saturating_add(cfg.timeout_s.saturating_mul(1000));
            while !shared.lock().is_empty() && boot_clock_ms() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            return status;
        }
        if let Some(sender) = once_sender.as_mut() {
            while sender.send_one(&shared) {}
            let left = shared.lock().len();
            if left > 0 {
                eprintln!("lingerwatch: {left} messages were not delivered before exit");
            }
            return status;
        }
        next_tick_ms = next_tick_ms.saturating_add(interval_ms);
        // After a long stall (suspend, a stuck read), tick now rather than catch up.
        let now = boot_clock_ms();
        if next_tick_ms < now {
            next_tick_ms = now;
        }
        loop {
            let wait = next_tick_ms.saturating_sub(boot_clock_ms());
            if let Some(sig) = signals.wait(wait) {
                eprintln!("lingerwatch: stopping on {sig}");
                return 0;
            }
            if boot_clock_ms() >= next_tick_ms {
                break;
            }
        }
    }
}
