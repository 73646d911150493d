//! Shared pieces of the fuzz targets: structured inputs and the render property.

use arbitrary::Arbitrary;
use lingerwatch::alert::{End, Kind, Message, Subject};
use lingerwatch::config::{Format, Lang};
use lingerwatch::parse::cgroup::Runtime;
use lingerwatch::render::{
    new_body, render_message, text_pointer, Now, RenderContext, Text, DISCORD_MAX_CHARS,
    SLACK_MAX_CHARS, TELEGRAM_MAX_CHARS,
};
use lingerwatch::scan::{Container, Found};

/// A process with every field drawn from the fuzzer's bytes.
#[derive(Arbitrary, Debug)]
pub struct ProcInput<'a> {
    pub pid: u32,
    pub ppid: u32,
    pub start_ticks: u64,
    pub age_ms: u64,
    pub cpu_centis: u64,
    pub state: u8,
    pub orphan: bool,
    pub descendants: u32,
    pub parent: &'a [u8],
    pub container: Option<[u8; 64]>,
    pub cmdline_chunks: Vec<&'a [u8]>,
}

impl ProcInput<'_> {
    pub fn found(&self) -> Found {
        let mut f = Found {
            ppid: self.ppid,
            age_ms: self.age_ms,
            cpu_centis: self.cpu_centis,
            state: self.state,
            orphan: self.orphan,
            descendants: self.descendants,
            container: self.container.map(|raw| {
                // Container ids are hex; map any bytes onto hex digits.
                let mut id = [0u8; 64];
                for (d, s) in id.iter_mut().zip(raw) {
                    *d = b"0123456789abcdef"[usize::from(s & 15)];
                }
                Container {
                    runtime: Runtime::Docker,
                    id,
                }
            }),
            ..Found::blank(self.pid, self.start_ticks)
        };
        let _ = f
            .parent
            .extend_from_slice(&self.parent[..self.parent.len().min(64)]);
        for c in &self.cmdline_chunks {
            f.cmdline.feed(c);
        }
        f
    }
}

#[derive(Arbitrary, Debug)]
pub struct RenderInput<'a> {
    pub proc_: ProcInput<'a>,
    pub untracked: Option<u32>,
    pub kind: u8,
    pub russian: bool,
    pub host: &'a str,
    pub chat_id: &'a str,
    pub dropped: u32,
    pub threshold_s: u64,
    pub interval_s: u64,
    pub btime_s: Option<u64>,
    pub clk_tck: u64,
    pub fired_ms: u64,
    pub now_boot_ms: u64,
    pub now_wall_s: u32,
}

/// Renders `input` in `format` and checks the property every body must hold: it parses
/// as JSON; the text holds the original cmdline after unescaping (as shown, up to the
/// marked cut); the text is within the service's limit.
pub fn check_render(format: Format, input: &RenderInput<'_>) {
    let found = input.proc_.found();
    let kind = [Kind::Firing, Kind::Reminder, Kind::Resolved][usize::from(input.kind % 3)];
    let subject = match input.untracked {
        Some(n) => Subject::Untracked(n),
        None => Subject::Process(found.clone()),
    };
    let msg = Message {
        seq: 0,
        kind,
        subject,
        fired_ms: input.fired_ms,
        end: (kind == Kind::Resolved).then_some(End::Gone {
            at_ms: input.now_boot_ms,
        }),
    };
    let ctx = RenderContext {
        format,
        lang: if input.russian { Lang::Ru } else { Lang::En },
        host: input.host,
        telegram_chat_id: input.chat_id,
        threshold_s: input.threshold_s,
        interval_s: input.interval_s,
        btime_s: input.btime_s,
        clk_tck: input.clk_tck,
    };
    let mut text = Box::new(Text::new());
    let mut body = new_body();
    let now = Now {
        boot_ms: input.now_boot_ms,
        wall_s: u64::from(input.now_wall_s),
    };
    render_message(&ctx, &msg, input.dropped, now, &mut text, &mut body);
    assert!(!body.overflowed(), "body overflowed its buffer");
    let v: serde_json::Value = serde_json::from_str(body.as_str()).expect("body is valid JSON");
    let limit = match format {
        Format::Json | Format::Alertmanager => usize::MAX,
        Format::Slack => SLACK_MAX_CHARS,
        Format::Discord => DISCORD_MAX_CHARS,
        Format::Telegram => TELEGRAM_MAX_CHARS,
    };
    let t = v
        .pointer(text_pointer(format))
        .and_then(|t| t.as_str())
        .expect("text present");
    assert!(t.chars().count() <= limit, "text over the limit");
    if format == Format::Telegram {
        assert_eq!(v["chat_id"].as_str(), Some(input.chat_id));
    }
    if let Subject::Process(f) = &msg.subject {
        // The text shows the cmdline with control characters and invalid UTF-8 replaced;
        // unless the text itself was cut, it is all there.
        let shown: String = String::from_utf8_lossy(f.cmdline.as_bytes())
            .chars()
            .map(|c| if c.is_control() { '\u{fffd}' } else { c })
            .collect();
        // The text never ends in the marker unless it was cut to its limit.
        if !t.ends_with('\u{2026}') {
            assert!(t.contains(&shown), "text lost the cmdline");
        }
        if format == Format::Json {
            let mut want = String::from_utf8_lossy(f.cmdline.as_bytes()).into_owned();
            if f.cmdline.truncated() {
                want.push('\u{2026}');
            }
            assert_eq!(
                v["cmdline"].as_str(),
                Some(want.as_str()),
                "cmdline field round trip"
            );
            assert_eq!(v["pid"].as_u64(), Some(u64::from(f.pid)));
        }
        if format == Format::Alertmanager {
            assert_eq!(
                v[0]["labels"]["pid"].as_str(),
                Some(f.pid.to_string().as_str())
            );
        }
    }
}
