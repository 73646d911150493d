//! Shared pieces of the fuzz targets: structured inputs and the render property.

use arbitrary::Arbitrary;
use lingerwatch::alert::{End, Kind, Message, Subject};
use lingerwatch::config::Format;
use lingerwatch::deliver::render::{
    new_body, render_message, text_pointer, Now, RenderContext, Text, DISCORD_MAX_CHARS,
    SLACK_MAX_CHARS, TELEGRAM_MAX_CHARS,
};
use lingerwatch::proc::found::Found;

/// One message to render: a process (or the untracked count), what kind, the context.
#[derive(Arbitrary, Debug)]
pub struct RenderInput<'a> {
    pub found: Found,
    pub untracked: Option<u32>,
    pub kind: u8,
    pub ctx: RenderContext<'a>,
    pub dropped: u32,
    pub fired_ms: u64,
    pub now: Now,
}

/// Renders `input` in `format` and checks the property every body must hold: it parses
/// as JSON; the text holds the original cmdline after unescaping (as shown, up to the
/// marked cut); the text is within the service's limit.
pub fn check_render(format: Format, input: &RenderInput<'_>) {
    let found = input.found.clone();
    let kind = [Kind::Firing, Kind::Reminder, Kind::Resolved][usize::from(input.kind % 3)];
    let subject = match input.untracked {
        Some(n) => Subject::Untracked(n),
        None => Subject::Process(found.clone()),
    };
    let now = input.now;
    let msg = Message {
        seq: 0,
        kind,
        subject,
        fired_ms: input.fired_ms,
        end: (kind == Kind::Resolved).then_some(End::Gone { at_ms: now.boot_ms }),
        promoted: false,
        fell_back: false,
        host: Default::default(),
        terminate_at_ms: None,
    };
    // Host labels are bounded and printable, as configuration makes them.
    let raw = input.ctx.host;
    let host =
        if raw.len() > lingerwatch::deliver::render::HOST_LABEL_MAX || raw.chars().any(char::is_control) {
            ""
        } else {
            raw
        };
    let ctx = RenderContext {
        format,
        host,
        ..input.ctx
    };
    let mut text = Box::new(Text::new());
    let mut body = new_body();
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
        assert_eq!(v["chat_id"].as_str(), Some(ctx.telegram_chat_id));
    }
    if format == Format::Discord {
        assert_eq!(
            v["allowed_mentions"],
            serde_json::json!({"parse": []}),
            "no mention pings"
        );
    }
    assert!(
        !t.chars().any(lingerwatch::text::is_hidden),
        "a hidden character reached the text"
    );
    if format == Format::Slack {
        // Slack reads `<…>` as mentions and links: it must only see them escaped.
        assert!(!t.contains(['<', '>']), "unescaped Slack markup");
    }
    if let Subject::Process(f) = &msg.subject {
        // The text shows the cmdline with control characters and invalid UTF-8 replaced
        // and hidden characters (format characters, separators) as `<U+XXXX>`;
        // unless the text itself was cut, it is all there.
        let shown: String = String::from_utf8_lossy(f.cmdline.as_bytes())
            .chars()
            .map(|c| {
                if c.is_control() {
                    '\u{fffd}'.to_string()
                } else if lingerwatch::text::is_hidden(c) {
                    format!("<U+{:04X}>", u32::from(c))
                } else {
                    c.to_string()
                }
            })
            .collect();
        let shown = if format == Format::Slack {
            shown
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        } else {
            shown
        };
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
