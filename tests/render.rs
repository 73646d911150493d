//! Every webhook body is valid JSON within its service's limit, whatever bytes the cmdline
//! holds, in both languages and for every kind of message.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

use lingerwatch::alert::Kind;
use lingerwatch::config::{Format, Lang};
use lingerwatch::outbox::{Message, Subject};
use lingerwatch::parse::cgroup::Runtime;
use lingerwatch::render::{
    render_body, Body, Now, RenderContext, Text, DISCORD_MAX_CHARS, TELEGRAM_MAX_CHARS,
};
use lingerwatch::scan::{Container, Found};
use serde_json::Value;

const HOSTILE: &[u8] =
    b"python3\0-m\0pytest\0-k\0\"quoted\" back\\slash\nnew\tline \x1b[31m\xff\xfe\xc3\0";

fn found(cmdline: &[u8]) -> Found {
    let mut f = Found {
        ppid: 812,
        age_ms: 3 * 86_400_000 + 4 * 3_600_000,
        cpu_centis: 551_240,
        orphan: true,
        over_threshold: true,
        descendants: 2,
        container: Some(Container {
            runtime: Runtime::Docker,
            id: *b"4f1e9c0c2b7d3a8e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7a8b9c0",
        }),
        ..Found::blank(48213, 8_812_345)
    };
    f.parent.extend_from_slice(b"tini").unwrap();
    f.cmdline.feed(cmdline);
    f
}

fn ctx(format: Format, lang: Lang) -> RenderContext<'static> {
    RenderContext {
        format,
        lang,
        host: "ci-\"01\"",
        telegram_chat_id: "-1001234567890",
        threshold_s: 3600,
        interval_s: 30,
        btime_s: Some(1_764_340_110),
        clk_tck: 100,
    }
}

const NOW: Now = Now {
    boot_ms: 100_000_000,
    wall_s: 1_764_440_110,
};

fn render(format: Format, lang: Lang, msg: &Message, dropped: u32) -> Value {
    let mut text = Box::new(Text::new());
    let mut body = Box::new(Body::new());
    render_body(&ctx(format, lang), msg, dropped, NOW, &mut text, &mut body);
    assert!(!body.overflowed(), "{format:?} body overflowed");
    serde_json::from_str(body.as_str())
        .unwrap_or_else(|e| panic!("{format:?}/{lang:?}: {e}: {}", body.as_str()))
}

fn msg(kind: Kind, subject: Subject) -> Message {
    Message {
        seq: 1,
        kind,
        subject,
        fired_ms: NOW.boot_ms - 60_000,
        created_ms: NOW.boot_ms,
    }
}

fn the_text(format: Format, v: &Value) -> String {
    let t = match format {
        Format::Json | Format::Slack | Format::Telegram => &v["text"],
        Format::Discord => &v["content"],
        Format::Alertmanager => &v[0]["annotations"]["description"],
    };
    t.as_str().unwrap().to_owned()
}

const FORMATS: [Format; 5] = [
    Format::Json,
    Format::Slack,
    Format::Discord,
    Format::Telegram,
    Format::Alertmanager,
];

#[test]
fn hostile_cmdline_gives_valid_json_in_every_format_kind_and_language() {
    for format in FORMATS {
        for lang in [Lang::En, Lang::Ru] {
            for kind in [Kind::Firing, Kind::Reminder, Kind::Resolved] {
                let v = render(
                    format,
                    lang,
                    &msg(kind, Subject::Process(found(HOSTILE))),
                    0,
                );
                let text = the_text(format, &v);
                assert!(text.contains("48213"), "{text}");
                assert!(
                    !text.contains('\x1b'),
                    "control characters are replaced in the text"
                );
                if kind != Kind::Resolved || format == Format::Json {
                    assert!(text.contains("kill -TERM 48213"), "{text}");
                    assert!(
                        text.contains("ps -o pid,ppid,etime,args -p 48213"),
                        "{text}"
                    );
                }
                let v2 = render(format, lang, &msg(kind, Subject::Untracked(17)), 3);
                assert!(the_text(format, &v2).contains("17"));
            }
        }
    }
}

#[test]
fn json_format_has_every_field_and_keeps_the_cmdline_bytes_escaped() {
    let v = render(
        Format::Json,
        Lang::En,
        &msg(Kind::Firing, Subject::Process(found(HOSTILE))),
        0,
    );
    assert_eq!(v["status"], "firing");
    assert_eq!(v["host"], "ci-\"01\"");
    assert_eq!(v["pid"], 48213);
    assert_eq!(v["start_ticks"], 8_812_345);
    assert_eq!(v["age_s"], 3 * 86_400 + 4 * 3600);
    assert_eq!(v["cpu_s"], 5512.4);
    assert_eq!(v["state"], "S");
    assert_eq!(v["orphan"], true);
    assert_eq!(v["parent"], "tini");
    assert_eq!(
        v["container"],
        "4f1e9c0c2b7d3a8e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7a8b9c0"
    );
    assert_eq!(v["descendants"], 2);
    assert_eq!(
        v["cmdline"],
        "python3 -m pytest -k \"quoted\" back\\slash\nnew\tline \u{1b}[31m\u{fffd}\u{fffd}\u{fffd}"
    );
    let text = v["text"].as_str().unwrap();
    assert!(text.starts_with("[FIRING] lingerwatch on ci-\"01\": process 48213 (python3) has been running for 3d04h (threshold 1h00m)"), "{text}");
    assert!(
        text.contains("ORPHAN") && text.contains("tini (ppid 812)"),
        "{text}"
    );
    assert!(text.contains("container: docker 4f1e9c0c2b7d"), "{text}");
    assert!(text.contains("CPU used: 5512.40 s"), "{text}");
    assert!(text.contains("started: 2025-11-29T14:57:13Z"), "{text}");
}

#[test]
fn russian_text_says_the_same() {
    let v = render(
        Format::Telegram,
        Lang::Ru,
        &msg(Kind::Firing, Subject::Process(found(b"pytest\0"))),
        2,
    );
    assert_eq!(v["chat_id"], "-1001234567890");
    let text = v["text"].as_str().unwrap();
    for want in [
        "[ТРЕВОГА]",
        "процесс 48213",
        "СИРОТА",
        "контейнер: docker 4f1e9c0c2b7d",
        "остановить: kill -TERM 48213",
        "2 предыдущих оповещений потеряно",
    ] {
        assert!(text.contains(want), "{want} not in {text}");
    }
}

#[test]
fn long_cmdlines_stay_within_discord_and_telegram_limits_with_a_marker() {
    let long: Vec<u8> = "пайтест ".repeat(2000).into_bytes();
    for (format, limit) in [
        (Format::Discord, DISCORD_MAX_CHARS),
        (Format::Telegram, TELEGRAM_MAX_CHARS),
    ] {
        for lang in [Lang::En, Lang::Ru] {
            let v = render(
                format,
                lang,
                &msg(Kind::Firing, Subject::Process(found(&long))),
                0,
            );
            let text = the_text(format, &v);
            assert!(
                text.chars().count() <= limit,
                "{format:?}: {}",
                text.chars().count()
            );
            assert!(text.contains('\u{2026}'), "cut is marked");
        }
    }
}

#[test]
fn alertmanager_posts_an_array_with_labels_and_ends_at_ahead_or_now() {
    let v = render(
        Format::Alertmanager,
        Lang::En,
        &msg(Kind::Reminder, Subject::Process(found(b"pytest\0"))),
        0,
    );
    let a = &v.as_array().unwrap()[0];
    assert_eq!(a["labels"]["alertname"], "LingeringProcess");
    assert_eq!(a["labels"]["pid"], "48213");
    assert_eq!(a["labels"]["start_ticks"], "8812345");
    assert_eq!(a["labels"]["host"], "ci-\"01\"");
    assert_eq!(
        a["labels"]["container"],
        "4f1e9c0c2b7d3a8e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7a8b9c0"
    );
    assert!(a["annotations"]["summary"]
        .as_str()
        .unwrap()
        .starts_with("[REMINDER]"));
    // Fired a minute before now; active: ends four intervals ahead.
    assert_eq!(a["startsAt"], "2025-11-29T18:14:10Z");
    assert_eq!(a["endsAt"], "2025-11-29T18:17:10Z");
    let v = render(
        Format::Alertmanager,
        Lang::En,
        &msg(Kind::Resolved, Subject::Process(found(b"pytest\0"))),
        0,
    );
    assert_eq!(v[0]["endsAt"], "2025-11-29T18:15:10Z", "resolved: ends now");
}
