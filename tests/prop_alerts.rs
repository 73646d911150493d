//! Properties of the alert table with its delivery state, and of the renderers, on
//! random input (stable toolchain; the fuzz targets in fuzz/ check the same with coverage
//! guidance). The model and its promises are in `tests/common/table_model.rs`.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use common::table_model::{Model, Step, PIDS};
use lingerwatch::alert::outbox::Cadence;
use lingerwatch::alert::{Kind, Message, Subject};
use lingerwatch::config::{Format, Lang};
use lingerwatch::deliver::render::{
    new_body, render_message, text_pointer, Now, RenderContext, Text, DISCORD_MAX_CHARS,
    TELEGRAM_MAX_CHARS,
};
use lingerwatch::proc::found::Found;
use proptest::prelude::*;

fn step(identities: u16) -> impl Strategy<Value = Step> {
    prop_oneof![
        (
            0u64..40_000,
            prop::collection::vec((0..identities, any::<bool>()), 0..12)
        )
            .prop_map(|(advance_ms, present)| Step::Scan {
                advance_ms,
                present
            }),
        (any::<u8>(), any::<u8>(), any::<u8>(), 0u64..40_000).prop_map(
            |(dest, max, outcome, advance_ms)| Step::Deliver {
                dest,
                max,
                outcome,
                advance_ms
            }
        ),
    ]
}

fn cadences() -> impl Strategy<Value = Vec<Cadence>> {
    prop::collection::vec(
        prop_oneof![Just(Cadence::Messages), Just(Cadence::Refresh)],
        1..=4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn table_and_deliveries_keep_every_promise_on_few_processes(
        steps in prop::collection::vec(step(10), 1..80),
        cadences in cadences(), cooldown_s in 0u64..120, refusals in any::<bool>(),
    ) {
        let mut model = Model::new(&cadences, cooldown_s, refusals);
        for s in &steps {
            model.step(s);
        }
        model.drain();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    /// Bursts beyond the scan's and the table's capacity (256), pids reused.
    #[test]
    fn table_and_deliveries_keep_every_promise_beyond_every_capacity(
        bursts in prop::collection::vec((0u16..2 * PIDS, 0u16..360, any::<bool>()), 1..6),
        delivers in prop::collection::vec(step(1), 0..40),
        cadences in cadences(), cooldown_s in 0u64..120,
    ) {
        let mut model = Model::new(&cadences, cooldown_s, false);
        for (i, (first, n, lingers)) in bursts.iter().enumerate() {
            let present = (0..*n).map(|k| ((first + k) % (2 * PIDS), *lingers)).collect();
            model.step(&Step::Scan { advance_ms: 10_000, present });
            for d in delivers.iter().skip(i * 8).take(8) {
                model.step(d);
            }
        }
        model.drain();
    }

    #[test]
    fn every_body_is_json_within_its_limit_and_holds_the_cmdline(
        cmdline in prop::collection::vec(any::<u8>(), 0..1500),
        host in "[^\\p{Cc}]{0,40}",
        parent in prop::collection::vec(any::<u8>(), 0..20),
        kind in 0u8..3, lang in any::<bool>(), dropped in 0u32..1000,
    ) {
        let mut f = Found { orphan_why: lingerwatch::proc::found::OrphanWhy::INIT, ..Found::blank(4242, 77) };
        f.cmdline.feed(&cmdline);
        let _ = f.parent.extend_from_slice(&parent[..parent.len().min(16)]);
        let kind = [Kind::Firing, Kind::Reminder, Kind::Resolved][usize::from(kind)];
        let msg = Message { seq: 0, kind, subject: Subject::Process(f.clone()), fired_ms: 1000, end: None, promoted: false, fell_back: false, host: Default::default(), terminate_at_ms: None };
        let mut text = Box::new(Text::new());
        let mut body = new_body();
        for format in Format::ALL {
            let ctx = RenderContext {
                format, lang: if lang { Lang::Ru } else { Lang::En }, host: &host, telegram_chat_id: "42",
                threshold_s: 60, interval_s: 30, btime_s: Some(1_700_000_000), clk_tck: 100,
            };
            render_message(&ctx, &msg, dropped, Now { boot_ms: 5000, wall_s: 1_764_000_000 }, &mut text, &mut body);
            prop_assert!(!body.overflowed());
            let v: serde_json::Value = serde_json::from_str(body.as_str()).unwrap();
            let t = v.pointer(text_pointer(format)).unwrap().as_str().unwrap().to_owned();
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
