//! One courier per destination: it takes what the alert table says is due to its
//! destination, renders it, sends it, and settles the outcome in the table. Each runs on
//! a thread of its own, so a slow or dead destination never delays a scan or another
//! destination. Every log line about a delivery names its destination (masked).
//!
//! Rendering buffers are allocated once per courier; sending may allocate (the network
//! client), but only when something is sent.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::alert::outbox::Outcome;
use crate::alert::{AlertTable, Batch, Message};
use crate::deliver::render::{batch_max, new_body, render_batch, Body, Now, RenderContext, Text};
use crate::deliver::render::{Format, Lang};
use crate::deliver::{send, Attempt, Target};
use crate::log;
use crate::proc::sys::{boot_clock_ms, wall_clock_s};
use crate::text::{duration, FixedBuf};

/// What the couriers share with the loop: the table, a bell rung after each tick, and
/// one the couriers ring after each attempt they settle.
pub struct Shared {
    table: Mutex<AlertTable>,
    wake: Condvar,
    settled: Condvar,
}

impl Shared {
    pub fn new(table: AlertTable) -> Self {
        Shared {
            table: Mutex::new(table),
            wake: Condvar::new(),
            settled: Condvar::new(),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, AlertTable> {
        // A poisoned lock only means a thread died mid-update; the table is still whole
        // (every update keeps it consistent at each step).
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Tells the couriers something may be due.
    pub(crate) fn ring(&self) {
        self.wake.notify_all();
    }

    /// Waits until nothing is owed to any destination, or until the boot clock reads
    /// `deadline_ms`; the messages still owed then.
    pub(crate) fn wait_all_settled(&self, deadline_ms: u64) -> usize {
        let mut table = self.lock();
        loop {
            let owed = table.owed_total();
            let left_ms = deadline_ms.saturating_sub(boot_clock_ms());
            if owed == 0 || left_ms == 0 {
                return owed;
            }
            table = match self
                .settled
                .wait_timeout(table, Duration::from_millis(left_ms))
            {
                Ok((t, _)) => t,
                Err(e) => e.into_inner().0,
            };
        }
    }
}

/// Settings the renderer needs, owned.
#[derive(Clone, Debug)]
pub(crate) struct RenderSettings {
    pub format: Format,
    pub lang: Lang,
    pub host: String,
    pub chat_id: String,
    pub threshold_s: u64,
    pub interval_s: u64,
    pub btime_s: Option<u64>,
    pub clk_tck: u64,
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

pub(crate) struct Courier {
    dest: usize,
    target: Target,
    /// The destination as logs show it (secrets masked).
    name: String,
    settings: Arc<RenderSettings>,
    batch: Box<Batch>,
    text: Box<Text>,
    body: Body,
}

impl Courier {
    /// Start-up only: allocates the rendering buffers.
    pub fn new(dest: usize, target: Target, name: String, settings: Arc<RenderSettings>) -> Self {
        Courier {
            dest,
            target,
            name,
            settings,
            batch: Box::default(),
            text: Box::new(Text::new()),
            body: new_body(),
        }
    }

    /// Sends what is due now, once; false when nothing was due.
    pub(crate) fn deliver_once(&mut self, shared: &Shared) -> bool {
        let max = batch_max(self.settings.format);
        if !shared
            .lock()
            .take_due(self.dest, boot_clock_ms(), max, &mut self.batch)
        {
            return false;
        }
        let now = Now {
            boot_ms: boot_clock_ms(),
            wall_s: wall_clock_s(),
        };
        let ctx = self.settings.context();
        let Some(up_to) = render_batch(&ctx, &self.batch, now, &mut self.text, &mut self.body)
        else {
            return false;
        };
        let attempt = send(&self.target, self.body.as_str());
        let settled = {
            let mut table = shared.lock();
            let now_ms = boot_clock_ms();
            let settled = table.settle(
                self.dest,
                up_to,
                attempt.outcome,
                self.batch.dropped,
                now_ms,
            );
            if let (Outcome::Retry, Some(secs)) = (attempt.outcome, attempt.retry_after_s) {
                table.hold_back(self.dest, now_ms, secs);
            }
            settled
        };
        shared.settled.notify_all();
        self.log(&attempt, settled, shared);
        true
    }

    /// Delivers until nothing is due (all sent, or waiting out a backoff).
    pub(crate) fn deliver_due(&mut self, shared: &Shared) {
        while self.deliver_once(shared) {}
    }

    /// The courier's thread: delivers what is due, then sleeps until the next retry or
    /// until the loop rings.
    pub fn run(mut self, shared: Arc<Shared>) {
        loop {
            self.deliver_due(&shared);
            let table = shared.lock();
            let now = boot_clock_ms();
            let owed = table.owed_to(self.dest) > 0;
            let wait_ms = match table.outbox(self.dest) {
                Some(o) if owed && o.retry_at_ms() > now => o.retry_at_ms().saturating_sub(now),
                Some(_) if owed => continue,
                _ => 60_000,
            };
            let _ = shared
                .wake
                .wait_timeout(table, Duration::from_millis(wait_ms));
        }
    }

    fn log(&self, attempt: &Attempt, settled: u32, shared: &Shared) {
        let mut what = FixedBuf::<96>::new();
        describe(&mut what, self.batch.messages(), settled);
        let what = what.as_str();
        let dest = &self.name;
        let status = attempt.status.unwrap_or(0);
        match (&self.target, attempt.outcome) {
            (Target::Stdout, Outcome::Delivered) => {}
            (_, Outcome::Delivered) => log!("sent {what} to {dest} (HTTP {status})"),
            (_, Outcome::Refused) => {
                let said = attempt.error.as_deref().unwrap_or("no reason given");
                log!(
                    "{dest} refused {what} with HTTP {status} ({said}): a configuration error (check WATCHDOG_WEBHOOK_URL and the format); given up"
                )
            }
            (_, Outcome::Retry) => {
                let (tries, retry_at) = {
                    let table = shared.lock();
                    let o = table.outbox(self.dest);
                    (
                        o.map_or(0, |o| o.attempts()),
                        o.map_or(0, |o| o.retry_at_ms()),
                    )
                };
                let wait = duration(retry_at.saturating_sub(boot_clock_ms()).div_ceil(1000));
                let wait = wait.as_str();
                match attempt.error.as_deref() {
                    Some(why) if status == 0 => log!(
                        "delivery of {what} to {dest} failed ({why}), attempt {tries}; retrying in {wait}"
                    ),
                    _ => log!(
                        "delivery of {what} to {dest} failed (HTTP {status}), attempt {tries}; retrying in {wait}"
                    ),
                }
            }
        }
    }
}

/// Names what a POST carried: "firing pid 123", or "3 messages (firing pid 123, …)".
fn describe(w: &mut FixedBuf<96>, messages: &[Message], settled: u32) {
    match messages {
        [one] => {
            let _ = one.describe(w);
        }
        [first, ..] => {
            let n = settled.max(u32::try_from(messages.len()).unwrap_or(u32::MAX));
            let _ = ufmt::uwrite!(w, "{} messages (", n);
            let _ = first.describe(w);
            let _ = ufmt::uWrite::write_str(w, ", \u{2026})");
        }
        [] => {}
    }
}
