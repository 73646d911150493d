//! Every webhook body is valid JSON within its service's limit, whatever bytes the cmdline
//! holds, in both languages and for every kind of message.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

use lingerwatch::alert::{End, Kind, Message, Subject};
use lingerwatch::config::{Format, Lang};
use lingerwatch::deliver::render::{
    new_body, render_message, text_pointer, Now, RenderContext, Text, DISCORD_MAX_CHARS,
    TELEGRAM_MAX_CHARS,
};
use lingerwatch::proc::found::{Container, Found};
use lingerwatch::proc::parse::cgroup::Runtime;
use serde_json::Value;

const HOSTILE: &[u8] =
    b"python3\0-m\0pytest\0-k\0\"quoted\" back\\slash\nnew\tline \x1b[31m\xff\xfe\xc3\0";

fn found(cmdline: &[u8]) -> Found {
    let mut f = Found {
        ppid: 812,
        age_ms: 3 * 86_400_000 + 4 * 3_600_000,
        cpu_centis: 551_240,
        orphan_why: lingerwatch::proc::found::OrphanWhy::INIT,
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
    let mut body = new_body();
    render_message(&ctx(format, lang), msg, dropped, NOW, &mut text, &mut body);
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
        end: (kind == Kind::Resolved).then_some(End::Gone { at_ms: NOW.boot_ms }),
        promoted: false,
        fell_back: false,
        host: Default::default(),
        terminate_at_ms: None,
    }
}

fn the_text(format: Format, v: &Value) -> String {
    let t = v.pointer(text_pointer(format)).unwrap();
    t.as_str().unwrap().to_owned()
}

#[test]
fn hostile_cmdline_gives_valid_json_in_every_format_kind_and_language() {
    for format in Format::ALL {
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
                // The commands to look at and stop a process, only while it lives.
                let alive = kind != Kind::Resolved;
                assert_eq!(text.contains("kill -TERM 48213"), alive, "{text}");
                assert_eq!(
                    text.contains("ps -o pid,ppid,etime,args -p 48213"),
                    alive,
                    "{text}"
                );
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
    // Fired a minute before now; active: ends 4 × max(interval, 60 s) ahead.
    assert_eq!(a["startsAt"], "2025-11-29T18:14:10Z");
    assert_eq!(a["endsAt"], "2025-11-29T18:19:10Z");
    let v = render(
        Format::Alertmanager,
        Lang::En,
        &msg(Kind::Resolved, Subject::Process(found(b"pytest\0"))),
        0,
    );
    assert_eq!(v[0]["endsAt"], "2025-11-29T18:15:10Z", "resolved: ends now");
}

/// A real alert table for one message destination: a 60 s threshold, the default
/// cooldown and interval.
fn messages_table() -> lingerwatch::alert::AlertTable {
    use lingerwatch::alert::{AlertTable, Policy};
    AlertTable::new(
        Policy {
            threshold: lingerwatch::alert::policy::Threshold {
                age_s: 60,
                orphans_only: false,
            },
            cooldown_ms: 1_800_000,
            tick_ms: 30_000,
        },
        &[lingerwatch::alert::outbox::Cadence::Messages],
    )
}

/// A batch of `n` lingering processes, taken from a real table.
fn batch_of(n: u32, cmdline: &[u8]) -> Box<lingerwatch::alert::Batch> {
    use lingerwatch::alert::BATCH_MAX;
    let mut table = messages_table();
    let mut report = Box::<lingerwatch::proc::found::ScanReport>::default();
    for pid in 0..n {
        let mut f = found(cmdline);
        f.pid = 1000 + pid;
        report.insert(f, false);
    }
    table.tick(NOW.boot_ms, &report);
    let mut batch = Box::<lingerwatch::alert::Batch>::default();
    assert!(table.take_due(0, NOW.boot_ms, BATCH_MAX, &mut batch));
    batch
}

#[test]
fn a_burst_to_a_chat_destination_is_one_digest_that_counts_them_all() {
    use lingerwatch::deliver::render::{render_batch, DIGEST_AFTER, DIGEST_SHOWN};
    for format in [Format::Slack, Format::Discord, Format::Telegram] {
        for lang in [Lang::En, Lang::Ru] {
            let batch = batch_of(37, b"/usr/bin/pytest\0-x\0");
            let mut text = Box::new(Text::new());
            let mut body = new_body();
            let up_to = render_batch(&ctx(format, lang), &batch, NOW, &mut text, &mut body);
            assert_eq!(
                up_to,
                Some(batch.last_owed),
                "a digest settles all it counts"
            );
            let v: Value = serde_json::from_str(body.as_str()).unwrap();
            let t = the_text(format, &v);
            assert!(t.contains("37"), "{t}");
            assert_eq!(t.matches("(pytest)").count(), DIGEST_SHOWN, "{t}");
            assert!(t.contains(&format!("{}", 37 - DIGEST_SHOWN)), "{t}");
            if lang == Lang::En {
                assert!(
                    t.starts_with("[FIRING] 37 processes started lingering on ci-\"01\": 1000 (pytest), 1001 (pytest)"),
                    "{t}"
                );
            }
        }
    }
    // A handful or fewer: one message each, as before.
    let batch = batch_of(DIGEST_AFTER, b"pytest\0");
    let mut text = Box::new(Text::new());
    let mut body = new_body();
    let up_to = render_batch(
        &ctx(Format::Slack, Lang::En),
        &batch,
        NOW,
        &mut text,
        &mut body,
    );
    assert_eq!(up_to, Some(batch.messages()[0].seq));
    assert!(body
        .as_str()
        .contains("process 1000 (pytest) has been running"));
}

#[test]
fn an_alertmanager_batch_carries_every_alert_that_fits_as_one_array() {
    use lingerwatch::deliver::render::render_batch;
    let batch = batch_of(64, HOSTILE);
    let mut text = Box::new(Text::new());
    let mut body = new_body();
    let up_to = render_batch(
        &ctx(Format::Alertmanager, Lang::En),
        &batch,
        NOW,
        &mut text,
        &mut body,
    );
    assert_eq!(
        up_to,
        Some(batch.messages().last().unwrap().seq),
        "all 64 fit"
    );
    let v: Value = serde_json::from_str(body.as_str()).unwrap();
    let alerts = v.as_array().unwrap();
    assert_eq!(alerts.len(), 64);
    let pids: Vec<&str> = alerts
        .iter()
        .map(|a| a["labels"]["pid"].as_str().unwrap())
        .collect();
    assert_eq!(pids[0], "1000");
    assert_eq!(pids[63], "1063");
}

#[test]
fn the_largest_alertmanager_alert_fits_many_times_in_a_body() {
    // Every field at its bound: a host label of 253 quotes, a shown cmdline of invalid
    // bytes and quotes, a 63-byte comm of quotes.
    let cmdline: Vec<u8> = [b'"', 0xff].repeat(4096);
    let mut f = found(&cmdline);
    f.parent.clear();
    f.parent.extend_from_slice(&[b'"'; 63]).unwrap();
    let host = "\"".repeat(lingerwatch::deliver::render::HOST_LABEL_MAX);
    let mut text = Box::new(Text::new());
    let mut body = new_body();
    let mut worst = 0;
    for lang in [Lang::En, Lang::Ru] {
        for kind in [Kind::Firing, Kind::Resolved] {
            let c = RenderContext {
                host: &host,
                ..ctx(Format::Alertmanager, lang)
            };
            render_message(
                &c,
                &msg(kind, Subject::Process(f.clone())),
                u32::MAX,
                NOW,
                &mut text,
                &mut body,
            );
            let v: Value = serde_json::from_str(body.as_str()).unwrap();
            assert_eq!(v[0]["labels"]["host"], host.as_str());
            worst = worst.max(body.len());
        }
    }
    // The body holds a batch of 64 alerts of the usual size; even at the worst a batch
    // carries several.
    assert!(
        worst * 8 < lingerwatch::deliver::render::BODY_CAP,
        "worst alert {worst} bytes"
    );
}

#[test]
fn a_resolved_alert_says_whether_the_process_is_gone_or_still_running() {
    let mut m = msg(Kind::Resolved, Subject::Process(found(b"pytest\0")));
    let v = render(Format::Slack, Lang::En, &m, 0);
    assert!(the_text(Format::Slack, &v).contains("is gone; it ran for"));
    m.end = Some(End::NoLongerLingers { at_ms: NOW.boot_ms });
    let v = render(Format::Slack, Lang::En, &m, 0);
    let t = the_text(Format::Slack, &v);
    assert!(
        t.contains("no longer counts as lingering; it is still running"),
        "{t}"
    );
    assert!(!t.contains("is gone; it ran"), "{t}");
}

#[test]
fn a_pod_process_names_its_pod_and_the_commands_that_find_it() {
    use lingerwatch::proc::parse::cgroup::identify;
    let mut f = found(b"pytest\0");
    let cg = b"0::/kubepods/besteffort/pod1c6b5a2e-4b8d-4f5e-9a1b-0c2d3e4f5a6b/4f1e9c0c2b7d3a8e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7a8b9c0\n";
    f.pod = identify(cg).pod;
    assert!(f.pod.is_some());
    let m = msg(Kind::Firing, Subject::Process(f));
    let t = the_text(Format::Slack, &render(Format::Slack, Lang::En, &m, 0));
    assert!(
        t.contains("pod: 1c6b5a2e-4b8d-4f5e-9a1b-0c2d3e4f5a6b (besteffort)"),
        "{t}"
    );
    assert!(
        t.contains("UID:.metadata.uid | grep 1c6b5a2e-4b8d-4f5e-9a1b-0c2d3e4f5a6b"),
        "{t}"
    );
    assert!(t.contains("crictl inspect 4f1e9c0c2b7d3a8e"), "{t}");
    let v = render(Format::Alertmanager, Lang::En, &m, 0);
    assert_eq!(
        v[0]["labels"]["pod_uid"],
        "1c6b5a2e-4b8d-4f5e-9a1b-0c2d3e4f5a6b"
    );
    let v = render(Format::Json, Lang::En, &m, 0);
    assert_eq!(v["pod_qos"], "besteffort");
}

/// Issue 21: every reason an orphan is one, in the JSON body, the Alertmanager labels, the
/// text in both languages and the `scan` table.
#[test]
fn orphan_reasons_show_in_json_labels_text_and_table() {
    use lingerwatch::proc::found::{Adopter, Launcher, OrphanWhy};
    let mut f = found(b"pytest\0");
    f.parent.clear();
    f.parent.extend_from_slice(b"bash").unwrap();
    f.orphan_why = OrphanWhy::INIT
        .with(OrphanWhy::SESSION)
        .with(OrphanWhy::LAUNCHER);
    f.adopter = Some(Adopter::NamespaceInit);
    f.session = 4711;
    let mut comm = lingerwatch::proc::found::ShortComm::new();
    comm.extend_from_slice(b"bash").unwrap();
    f.launcher = Some(Launcher {
        pid: 4712,
        comm,
        gone_for_s: 180,
    });
    let m = msg(Kind::Firing, Subject::Process(f.clone()));
    let v = render(Format::Json, Lang::En, &m, 0);
    assert_eq!(v["orphan"], true);
    assert_eq!(
        v["orphan_why"],
        serde_json::json!(["init", "session", "launcher"])
    );
    let text = v["text"].as_str().unwrap();
    for want in [
        "orphan: adopted by bash, the init of its container",
        "orphan: its session leader 4711 is gone",
        "orphan: its launcher 4712 (bash) died 3m00s ago",
    ] {
        assert!(text.contains(want), "{want:?} not in {text}");
    }
    let v = render(Format::Telegram, Lang::Ru, &m, 0);
    let text = v["text"].as_str().unwrap();
    for want in [
        "сирота: его усыновил bash, init своего контейнера",
        "сирота: лидер его сеанса 4711 завершён",
        "сирота: запустивший его процесс 4712 (bash) завершился 3m00s назад",
    ] {
        assert!(text.contains(want), "{want:?} not in {text}");
    }
    let v = render(Format::Alertmanager, Lang::En, &m, 0);
    assert_eq!(v[0]["labels"]["orphan_why"], "init,session,launcher");

    let mut row = lingerwatch::text::FixedBuf::<512>::new();
    lingerwatch::proc::report::write_table_row(&mut row, &f, true).unwrap();
    assert!(
        row.as_str().contains(" init,sess,lnch bash "),
        "{}",
        row.as_str()
    );

    // Not an orphan: an empty list, no label, no line.
    let alive = found(b"pytest\0");
    let alive = Found {
        orphan_why: OrphanWhy::NONE,
        adopter: None,
        ..alive
    };
    let m = msg(Kind::Firing, Subject::Process(alive.clone()));
    let v = render(Format::Json, Lang::En, &m, 0);
    assert_eq!(
        (v["orphan"].clone(), v["orphan_why"].clone()),
        (serde_json::json!(false), serde_json::json!([]))
    );
    assert!(!v["text"].as_str().unwrap().contains("\norphan:"));
    let v = render(Format::Alertmanager, Lang::En, &m, 0);
    assert!(v[0]["labels"].get("orphan_why").is_none(), "{v}");
    let mut row = lingerwatch::text::FixedBuf::<512>::new();
    lingerwatch::proc::report::write_table_row(&mut row, &alive, false).unwrap();
    assert!(
        row.as_str().contains(" -              tini "),
        "{}",
        row.as_str()
    );
}

/// Slack control sequences and Discord mentions a process can put in its cmdline
/// (issue 19): the first argument, so the digest's program name carries them too.
const MENTIONS: &[u8] =
    b"<!channel>\0<!here>\0<@U024BE7LH>\0<https://evil.example|click\0here>\0@everyone\0@here\0<@123456789>\0a&b\0";

/// The body of a digest of 37 processes with `cmdline`, in `format`.
fn digest_body(format: Format, cmdline: &[u8]) -> Value {
    use lingerwatch::deliver::render::render_batch;
    let batch = batch_of(37, cmdline);
    let mut text = Box::new(Text::new());
    let mut body = new_body();
    render_batch(&ctx(format, Lang::En), &batch, NOW, &mut text, &mut body);
    serde_json::from_str(body.as_str()).unwrap()
}

#[test]
fn a_cmdline_cannot_ping_a_slack_channel_or_disguise_a_link() {
    let mut bodies = vec![digest_body(Format::Slack, MENTIONS)];
    for kind in [Kind::Firing, Kind::Reminder, Kind::Resolved] {
        for lang in [Lang::En, Lang::Ru] {
            let m = msg(kind, Subject::Process(found(MENTIONS)));
            bodies.push(render(Format::Slack, lang, &m, 0));
        }
    }
    for v in &bodies {
        let t = the_text(Format::Slack, v);
        assert!(!t.contains('<') && !t.contains('>'), "{t}");
        assert!(t.contains("&lt;!channel&gt;"), "{t}");
        assert!(t.contains("&lt;!here&gt;") || !t.contains("here"), "{t}");
        assert!(
            !t.replace("&amp;", "")
                .replace("&lt;", "")
                .replace("&gt;", "")
                .contains('&'),
            "{t}"
        );
    }
    let one = the_text(Format::Slack, &bodies[1]);
    assert!(
        one.contains(
            "&lt;https://evil.example|click here&gt; @everyone @here &lt;@123456789&gt; a&amp;b"
        ),
        "{one}"
    );
}

#[test]
fn a_discord_body_never_lets_a_cmdline_mention_anyone() {
    let mut bodies = vec![digest_body(Format::Discord, MENTIONS)];
    for kind in [Kind::Firing, Kind::Reminder, Kind::Resolved] {
        let m = msg(kind, Subject::Process(found(MENTIONS)));
        bodies.push(render(Format::Discord, Lang::En, &m, 0));
        bodies.push(render(
            Format::Discord,
            Lang::En,
            &msg(kind, Subject::Untracked(3)),
            0,
        ));
    }
    for v in &bodies {
        assert_eq!(
            v["allowed_mentions"],
            serde_json::json!({"parse": []}),
            "{v}"
        );
    }
}

#[test]
fn a_slack_text_cut_to_its_limit_counts_the_escaped_text_and_keeps_entities_whole() {
    // A digest names 5 programs of up to 256 bytes: 256 `<` each are 1,024 characters of
    // `&lt;` in Slack, so the digest is over Slack's 4,000 only once escaped.
    for fill in [
        "<".repeat(300),
        format!("ж{}", "&".repeat(300)),
        format!("x{}", ">".repeat(300)),
    ] {
        let mut cmdline = fill.into_bytes();
        cmdline.push(0);
        let t = the_text(Format::Slack, &digest_body(Format::Slack, &cmdline));
        let chars = t.chars().count();
        assert!(
            chars <= lingerwatch::deliver::render::SLACK_MAX_CHARS,
            "{chars}"
        );
        let Some(kept) = t.strip_suffix('\u{2026}') else {
            panic!(
                "the cut is not marked: {chars} characters: {:?}",
                &t[t.len() - 80..]
            );
        };
        if let Some(a) = kept.rfind('&') {
            let entity = &kept[a..];
            assert!(
                ["&amp;", "&lt;", "&gt;"]
                    .iter()
                    .any(|e| entity.starts_with(e)),
                "cut inside an entity: {entity:?}"
            );
        }
    }
}

#[test]
fn format_characters_in_a_cmdline_are_shown_escaped_in_every_text() {
    // Issue 19: a right-to-left override made `evil\u{202e}gpj.exe` read as
    // `evilexe.jpg`; a zero-width space hid in a name.
    let cmdline = "evil\u{202e}gpj.exe\0--x\u{200b}y\0".as_bytes();
    for format in Format::ALL {
        let v = render(
            format,
            Lang::En,
            &msg(Kind::Firing, Subject::Process(found(cmdline))),
            0,
        );
        let t = the_text(format, &v);
        assert!(
            t.contains("evil<U+202E>gpj.exe --x<U+200B>y")
                || t.contains("evil&lt;U+202E&gt;gpj.exe --x&lt;U+200B&gt;y"),
            "{format:?}: {t}"
        );
        assert!(
            !t.contains('\u{202e}') && !t.contains('\u{200b}'),
            "{format:?}: {t}"
        );
        if format == Format::Json {
            // The cmdline field is data: the exact characters, JSON-escaped.
            assert_eq!(v["cmdline"], "evil\u{202e}gpj.exe --x\u{200b}y");
        }
    }
    let digest = the_text(Format::Discord, &digest_body(Format::Discord, cmdline));
    assert!(digest.contains("(evil<U+202E>gpj.exe)"), "{digest}");
}

#[test]
fn a_digest_names_the_first_of_each_kind_however_many_messages_come_before() {
    // Issue 19: "14 processes started lingering …, and 14 more" named none: a digest named
    // only from the first 64 messages owed, and 70 RESOLVED came before the FIRINGs.
    use lingerwatch::alert::outbox::Outcome;
    use lingerwatch::alert::BATCH_MAX;
    use lingerwatch::deliver::render::render_batch;
    let mut table = messages_table();
    let report_of = |pids: &mut dyn Iterator<Item = u32>| {
        let mut report = Box::<lingerwatch::proc::found::ScanReport>::default();
        for pid in pids {
            let mut f = found(b"pytest\0");
            f.pid = pid;
            report.insert(f, false);
        }
        report
    };
    let mut batch = Box::<lingerwatch::alert::Batch>::default();
    table.tick(NOW.boot_ms, &report_of(&mut (1000..1100)));
    while table.take_due(0, NOW.boot_ms, BATCH_MAX, &mut batch) {
        table.settle(0, batch.last_owed, Outcome::Delivered, 0, NOW.boot_ms);
    }
    let later = NOW.boot_ms + 30_000;
    table.tick(later, &report_of(&mut (1070..1100).chain(2000..2003)));
    assert!(table.take_due(0, later, BATCH_MAX, &mut batch));
    let mut text = Box::new(Text::new());
    let mut body = new_body();
    render_batch(
        &ctx(Format::Discord, Lang::En),
        &batch,
        NOW,
        &mut text,
        &mut body,
    );
    let t = the_text(
        Format::Discord,
        &serde_json::from_str(body.as_str()).unwrap(),
    );
    assert!(
        t.contains("[FIRING] 3 processes started lingering on ci-\"01\": 2000 (pytest), 2001 (pytest), 2002 (pytest)\n"),
        "{t}"
    );
    assert!(
        t.contains("[RESOLVED] 70 lingering processes ended on ci-\"01\": 1000 (pytest), 1001 (pytest), 1002 (pytest), 1003 (pytest), 1004 (pytest), and 65 more\n"),
        "{t}"
    );
}

/// Issue 19: one message of the largest size (every field at its maximum, every byte
/// escaped at worst) fits a body in every format, within `ALERT_MAX_LEN`, which a const
/// assertion keeps below `BODY_CAP`: an Alertmanager batch always carries its first
/// alert, and the courier cannot be left owing something that renders to nothing.
#[test]
fn the_largest_alert_fits_the_body_in_every_format() {
    use lingerwatch::deliver::render::{
        ALERT_MAX_LEN, BODY_CAP, HOST_LABEL_MAX, TELEGRAM_CHAT_ID_MAX,
    };
    let host = "\u{1}".repeat(HOST_LABEL_MAX);
    let chat_id = "\u{1}".repeat(TELEGRAM_CHAT_ID_MAX);
    let mut f = found(&[1u8; 4096]);
    f.parent.clear();
    while f.parent.push(1).is_ok() {}
    for format in Format::ALL {
        for lang in [Lang::En, Lang::Ru] {
            let ctx = RenderContext {
                host: &host,
                telegram_chat_id: &chat_id,
                ..ctx(format, lang)
            };
            for kind in [Kind::Firing, Kind::Reminder, Kind::Resolved] {
                let m = msg(kind, Subject::Process(f.clone()));
                let mut text = Box::new(Text::new());
                let mut body = new_body();
                render_message(&ctx, &m, u32::MAX, NOW, &mut text, &mut body);
                let len = body.as_str().len();
                assert!(!body.overflowed(), "{format:?}");
                assert!(
                    len + 2 <= ALERT_MAX_LEN && ALERT_MAX_LEN < BODY_CAP,
                    "{format:?}: {len}"
                );
                let v: Value = serde_json::from_str(body.as_str()).unwrap();
                if format == Format::Alertmanager {
                    assert_eq!(
                        v.as_array().map(Vec::len),
                        Some(1),
                        "the first alert is carried"
                    );
                }
            }
        }
    }
}

/// The end of an alert whose process lingerwatch signalled (issue 24).
fn terminated(signal: lingerwatch::alert::terminate::Signal) -> Message {
    let mut m = msg(Kind::Resolved, Subject::Process(found(b"pytest\0-x\0")));
    m.end = Some(End::Terminated {
        at_ms: NOW.boot_ms - 5_000,
        signal,
    });
    m
}

/// What a terminated body holds besides its text: the JSON status and signal; for
/// Alertmanager, a resolved alert with its FIRING's labels.
fn check_terminated_body(
    format: Format,
    lang: Lang,
    signal: lingerwatch::alert::terminate::Signal,
    v: &Value,
    headline: &str,
) {
    match format {
        Format::Json => {
            assert_eq!(v["status"], "terminated");
            assert_eq!(v["signal"], signal.name());
            assert_eq!(v["pid"], 48213);
            assert_eq!(v["start_ticks"], 8_812_345);
        }
        Format::Alertmanager => {
            let a = &v.as_array().unwrap()[0];
            // Resolved: it ended when the process was found gone (5 s before now), not
            // 4 intervals ahead as an active alert does.
            assert_eq!(a["endsAt"], "2025-11-29T18:15:05Z");
            assert_eq!(a["startsAt"], "2025-11-29T18:14:10Z");
            // The same labels as its FIRING, so Alertmanager resolves that alert.
            let firing = render(
                format,
                lang,
                &msg(Kind::Firing, Subject::Process(found(b"pytest\0-x\0"))),
                0,
            );
            assert_eq!(a["labels"], firing[0]["labels"]);
            let summary = a["annotations"]["summary"].as_str().unwrap();
            assert!(summary.starts_with(headline), "{summary}");
        }
        _ => {}
    }
}

#[test]
fn a_terminated_alert_says_by_which_signal_in_every_format_and_language() {
    use lingerwatch::alert::terminate::Signal;
    for signal in [Signal::Term, Signal::Kill] {
        for format in Format::ALL {
            for (lang, word, with) in [
                (
                    Lang::En,
                    "[TERMINATED]",
                    "was terminated by lingerwatch with",
                ),
                (Lang::Ru, "[ЗАВЕРШЁН]", "завершён lingerwatch сигналом"),
            ] {
                let mut m = terminated(signal);
                // Said while it fired; the end must not promise it again.
                m.terminate_at_ms = Some(m.fired_ms + 3_600_000);
                let v = render(format, lang, &m, 0);
                let text = the_text(format, &v);
                let ran = if lang == Lang::En {
                    "it ran for 3d04h"
                } else {
                    "он работал 3d04h"
                };
                let headline = format!(
                    "{word} lingerwatch {} ci-\"01\": {} 48213 (pytest) {with} {}; {ran}",
                    if lang == Lang::En { "on" } else { "на" },
                    if lang == Lang::En {
                        "process"
                    } else {
                        "процесс"
                    },
                    signal.name()
                );
                assert!(text.starts_with(&headline), "{format:?}/{lang:?}: {text}");
                assert!(text.contains("5512.40"), "the CPU it used: {text}");
                assert!(!text.contains("[RESOLVED]"), "{text}");
                assert!(
                    !text.contains("1h00m"),
                    "no terminate time at the end: {text}"
                );
                check_terminated_body(format, lang, signal, &v, &headline);
            }
        }
    }
    // A process that went by itself is resolved, with no signal.
    let v = render(
        Format::Json,
        Lang::En,
        &msg(Kind::Resolved, Subject::Process(found(b"pytest\0"))),
        0,
    );
    assert_eq!(v["status"], "resolved");
    assert!(v.get("signal").is_none(), "{v}");
}
