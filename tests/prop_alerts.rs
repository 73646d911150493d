//! Properties of the alert state machine and the renderers, on random input (stable
//! toolchain; the fuzz targets in fuzz/ check the same with coverage guidance).
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

use std::collections::HashMap;

use lingerwatch::alert::{AlertTable, Event, Kind, Policy};
use lingerwatch::config::{Format, Lang};
use lingerwatch::outbox::{Message, Subject};
use lingerwatch::render::{
    render_body, Body, Now, RenderContext, Text, DISCORD_MAX_CHARS, TELEGRAM_MAX_CHARS,
};
use lingerwatch::scan::{Found, ScanReport};
use proptest::prelude::*;

/// One tick: time step in seconds, and which of 6 (pid, start) identities are present
/// and over the threshold.
fn ticks() -> impl Strategy<Value = Vec<(u64, Vec<(u8, bool)>)>> {
    prop::collection::vec(
        (
            0u64..4000,
            prop::collection::vec((0u8..6, any::<bool>()), 0..6),
        ),
        1..60,
    )
}

fn identity(i: u8) -> (u32, u64) {
    // Three pids, each seen with two start times: pid reuse.
    (u32::from(i % 3) + 100, u64::from(i / 3) * 1000 + 1)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn state_machine_never_double_fires_never_resolves_unfired_and_respects_the_cooldown(
        ticks in ticks(), cooldown_s in 0u64..3000, refresh in any::<bool>()
    ) {
        let policy = Policy { cooldown_ms: cooldown_s * 1000, refresh_each_tick: refresh };
        let mut table = AlertTable::new(policy);
        let mut now_ms = 0u64;
        // Per identity: is it open (fired, not resolved), and when was the last message.
        let mut open: HashMap<(u32, u64), bool> = HashMap::new();
        let mut last: HashMap<(u32, u64), u64> = HashMap::new();
        for (step_s, present) in ticks {
            now_ms += step_s * 1000;
            let mut report = ScanReport::default();
            let mut seen = Vec::new();
            for (i, over) in present {
                let (pid, start) = identity(i);
                if seen.contains(&pid) { continue; } // one process per pid at a time
                seen.push(pid);
                let f = Found { over_threshold: over, ..Found::blank(pid, start) };
                assert!(report.push(f));
            }
            let mut events = Vec::new();
            table.tick(now_ms, &report, |e| {
                if let Event::Process { kind, found, .. } = e {
                    events.push((kind, found.pid, found.start_ticks, found.over_threshold));
                }
            });
            for (kind, pid, start, _) in events {
                let key = (pid, start);
                let was_open = open.get(&key).copied().unwrap_or(false);
                match kind {
                    Kind::Firing => prop_assert!(!was_open, "second FIRING for {key:?}"),
                    Kind::Reminder => prop_assert!(was_open, "REMINDER before FIRING for {key:?}"),
                    Kind::Resolved => prop_assert!(was_open, "RESOLVED without FIRING for {key:?}"),
                }
                if kind != Kind::Resolved && !refresh {
                    if let Some(&t) = last.get(&key) {
                        if was_open {
                            prop_assert!(now_ms - t >= policy.cooldown_ms, "two messages closer than the cooldown");
                        }
                    }
                }
                open.insert(key, kind != Kind::Resolved);
                last.insert(key, now_ms);
            }
            // Every active process is open after the tick; nothing else is.
            for f in report.found.iter() {
                let key = (f.pid, f.start_ticks);
                prop_assert_eq!(open.get(&key).copied().unwrap_or(false), f.over_threshold);
            }
            prop_assert_eq!(open.values().filter(|o| **o).count(), report.found.iter().filter(|f| f.over_threshold).count());
        }
    }

    #[test]
    fn every_body_is_json_within_its_limit_and_holds_the_cmdline(
        cmdline in prop::collection::vec(any::<u8>(), 0..1500),
        host in ".{0,40}",
        parent in prop::collection::vec(any::<u8>(), 0..20),
        kind in 0u8..3, lang in any::<bool>(), dropped in 0u32..1000,
    ) {
        let mut f = Found { over_threshold: true, orphan: true, ..Found::blank(4242, 77) };
        f.cmdline.feed(&cmdline);
        let _ = f.parent.extend_from_slice(&parent[..parent.len().min(16)]);
        let kind = [Kind::Firing, Kind::Reminder, Kind::Resolved][usize::from(kind)];
        let msg = Message { seq: 0, kind, subject: Subject::Process(f.clone()), fired_ms: 1000, created_ms: 2000 };
        let mut text = Box::new(Text::new());
        let mut body = Box::new(Body::new());
        for format in [Format::Json, Format::Slack, Format::Discord, Format::Telegram, Format::Alertmanager] {
            let ctx = RenderContext {
                format, lang: if lang { Lang::Ru } else { Lang::En }, host: &host, telegram_chat_id: "42",
                threshold_s: 60, interval_s: 30, btime_s: Some(1_700_000_000), clk_tck: 100,
            };
            render_body(&ctx, &msg, dropped, Now { boot_ms: 5000, wall_s: 1_764_000_000 }, &mut text, &mut body);
            prop_assert!(!body.overflowed());
            let v: serde_json::Value = serde_json::from_str(body.as_str()).unwrap();
            let t = match format {
                Format::Json | Format::Slack | Format::Telegram => v["text"].as_str().unwrap().to_owned(),
                Format::Discord => v["content"].as_str().unwrap().to_owned(),
                Format::Alertmanager => v[0]["annotations"]["description"].as_str().unwrap().to_owned(),
            };
            let limit = match format { Format::Discord => DISCORD_MAX_CHARS, Format::Telegram => TELEGRAM_MAX_CHARS, _ => usize::MAX };
            prop_assert!(t.chars().count() <= limit);
            prop_assert!(t.contains("4242"));
            if format == Format::Json {
                // The cmdline field is the shown cmdline, unescaped back exactly (invalid
                // UTF-8 as U+FFFD), plus the marker when cut.
                let mut want = String::from_utf8_lossy(f.cmdline.as_bytes()).into_owned();
                if f.cmdline.truncated() { want.push('\u{2026}'); }
                prop_assert_eq!(v["cmdline"].as_str().unwrap(), want.as_str());
                prop_assert_eq!(v["dropped"].as_u64().unwrap(), u64::from(dropped));
            }
        }
    }
}
