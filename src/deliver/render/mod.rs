//! Alert bodies for each webhook format, and the human text inside them (English or
//! Russian).
//!
//! Pure; never panics; writes through ufmt into buffers allocated once, no allocation.
//! Every body is valid JSON whatever bytes the cmdline or the host label holds (escaped,
//! invalid UTF-8 replaced; fields are cut, never the finished document), and the text
//! stays within each service's limit (cut with a visible marker).

mod format;
mod prose;
mod words;

use ufmt::{uWrite, uwrite};

pub use prose::DIGEST_SHOWN;
pub(crate) use prose::{write_digest, write_text};

use crate::alert::{Batch, HostShare, Kind, Message, Subject, BATCH_MAX};
use crate::alert::outbox::Seq;
use crate::text::{
    cut_to_chars, write_json_escaped, write_rfc3339, FixedBuf, ReservedBuf,
};

/// Room for the human text, in bytes (Telegram's 4096 characters is the largest limit).
pub(crate) const TEXT_CAP: usize = 4096;
/// Room for one body: an Alertmanager batch of [`BATCH_MAX`] alerts at their usual size
/// (about 1.5 KiB each; a batch ends early where the next alert would not fit).
pub const BODY_CAP: usize = 128 * 1024;
// Bounds that configuration enforces, so every field of a body is bounded.
pub use format::{Format, Lang, HOST_LABEL_MAX, TELEGRAM_CHAT_ID_MAX};
/// JSON escaping writes at most this many bytes for one byte (`\u00XX`).
const JSON_ESCAPE_MAX: usize = 6;
/// What one alert renders to besides its escaped strings: keys, numbers, dates, the
/// container and pod ids, the parent's comm (16 bytes, escaped). About 700 bytes at most;
/// bounded generously (the test `the_largest_alert_fits_the_body_in_every_format`
/// checks the whole bound).
const ALERT_FIXED_MAX: usize = 2 * 1024;
/// The longest one message can render to, in any format: the text twice (the
/// Alertmanager summary is its first line), the host label, the shown cmdline and the
/// chat id, each escaped at worst, and the rest.
pub const ALERT_MAX_LEN: usize = ALERT_FIXED_MAX
    + JSON_ESCAPE_MAX
        * (2 * TEXT_CAP + HOST_LABEL_MAX + crate::proc::parse::cmdline::SHOWN_LEN + TELEGRAM_CHAT_ID_MAX);
// One message of the largest size always fits a body (with the batch's brackets): an
// Alertmanager batch always carries at least its first alert, so a courier can never be
// left with something owed that renders to nothing (issue 19: it spun on that).
const _: () = assert!(ALERT_MAX_LEN + 2 <= BODY_CAP, "one alert must always fit BODY_CAP");
/// Discord's limit on `content`, in characters.
pub const DISCORD_MAX_CHARS: usize = 2000;
/// Telegram's limit on `text`, in characters.
pub const TELEGRAM_MAX_CHARS: usize = 4096;
/// Slack's recommended cap on `text` (it truncates past 40,000).
pub const SLACK_MAX_CHARS: usize = 4000;
/// More messages than this due to one chat destination at once go as one digest.
pub const DIGEST_AFTER: u32 = 5;
/// Alertmanager's `endsAt` for an active alert is `now + 4 × max(interval, 60 s)`, as
/// Prometheus sets it with its re-send delay: it survives a few missed posts, and lapses
/// if we die.
pub(crate) const ALERTMANAGER_RESEND_FACTOR: u64 = 4;
pub(crate) const ALERTMANAGER_MIN_RESEND_S: u64 = 60;

pub type Text = FixedBuf<TEXT_CAP>;
pub type Body = ReservedBuf;

/// A body buffer, reserved once at start-up.
pub fn new_body() -> Body {
    ReservedBuf::with_capacity(BODY_CAP)
}

/// Everything a body needs besides the messages.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct RenderContext<'a> {
    pub format: Format,
    pub lang: Lang,
    pub host: &'a str,
    pub telegram_chat_id: &'a str,
    pub threshold_s: u64,
    pub interval_s: u64,
    /// Boot time, seconds since the epoch (from /proc/stat), to show start dates.
    pub btime_s: Option<u64>,
    pub clk_tck: u64,
}

/// The time a body is rendered at, on both clocks.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Now {
    pub boot_ms: u64,
    pub wall_s: u64,
}

impl Now {
    /// The wall-clock time of a boot-clock instant, for showing dates.
    fn wall_of(&self, boot_ms: u64) -> u64 {
        self.wall_s
            .saturating_sub(self.boot_ms.saturating_sub(boot_ms) / 1000)
    }
}

/// Where the human text is in a body of `format`, as a JSON pointer (RFC 6901).
pub fn text_pointer(format: Format) -> &'static str {
    match format {
        Format::Json | Format::Slack | Format::Telegram => "/text",
        Format::Discord => "/content",
        Format::Alertmanager => "/0/annotations/description",
    }
}

/// How many messages a destination of `format` takes at once: one generic JSON object
/// per POST (receivers expect one), a batch for Alertmanager and for chat digests.
pub fn batch_max(format: Format) -> usize {
    match format {
        Format::Json => 1,
        _ => BATCH_MAX,
    }
}

/// The text limit of `format`, in characters.
fn text_limit(format: Format) -> usize {
    match format {
        Format::Json | Format::Alertmanager => TEXT_CAP,
        Format::Slack => SLACK_MAX_CHARS,
        Format::Discord => DISCORD_MAX_CHARS,
        Format::Telegram => TELEGRAM_MAX_CHARS,
    }
}

/// Renders what one POST carries of `batch` into `body`: one message, a digest of all
/// that are owed (chat formats, more than [`DIGEST_AFTER`]), or as many alerts as fit
/// (Alertmanager). Returns the sequence number up to which the body carries the owed
/// messages, to settle them after sending; `None` when there is nothing.
pub fn render_batch(
    ctx: &RenderContext<'_>,
    batch: &Batch,
    now: Now,
    text: &mut Text,
    body: &mut Body,
) -> Option<Seq> {
    body.clear();
    let first = batch.messages().first()?;
    match ctx.format {
        Format::Alertmanager => {
            write_alertmanager_batch(body, ctx, batch.messages(), batch.dropped, now, text)
        }
        Format::Slack | Format::Discord | Format::Telegram if batch.owed() > DIGEST_AFTER => {
            text.clear();
            let _ = match ctx.format {
                Format::Slack => write_digest(&mut SlackEscaped(text), ctx, batch),
                _ => write_digest(text, ctx, batch),
            };
            cut_text(text, ctx.format);
            write_chat(body, ctx, text.as_str());
            Some(batch.last_owed)
        }
        _ => {
            render_message(ctx, first, batch.dropped, now, text, body);
            Some(first.seq)
        }
    }
}

/// Renders one message of `ctx.format` into `body`, using `text` as scratch.
pub fn render_message(
    ctx: &RenderContext<'_>,
    msg: &Message,
    dropped: u32,
    now: Now,
    text: &mut Text,
    body: &mut Body,
) {
    body.clear();
    if ctx.format == Format::Alertmanager {
        // A batch of one: the same writer as every Alertmanager POST.
        write_alertmanager_batch(body, ctx, core::slice::from_ref(msg), dropped, now, text);
        return;
    }
    fill_text(text, ctx, msg, dropped);
    match ctx.format {
        Format::Json => {
            let _ = write_json(body, ctx, msg, dropped, text.as_str());
        }
        _ => write_chat(body, ctx, text.as_str()),
    }
}

/// The human text of `msg` into `text`, cut to the format's limit.
fn fill_text(text: &mut Text, ctx: &RenderContext<'_>, msg: &Message, dropped: u32) {
    text.clear();
    let _ = match ctx.format {
        Format::Slack => write_text(&mut SlackEscaped(text), ctx, msg, dropped),
        _ => write_text(text, ctx, msg, dropped),
    };
    cut_text(text, ctx.format);
}

/// Cuts `text` to the limit of `format`. Slack's limit counts the escaped text, and a
/// cut never leaves half an entity.
fn cut_text(text: &mut Text, format: Format) {
    cut_to_chars(text, text_limit(format), format == Format::Slack);
}

/// Writes through to `W` with the three characters Slack reads as markup escaped, as
/// Slack documents (`&` `&amp;`, `<` `&lt;`, `>` `&gt;`): no text from a process or a
/// host reaches Slack as a mention (`<!channel>`, `<@U…>`) or a disguised link
/// (`<https://…|text>`). Plain `@channel` or `@everyone` is only text in a Slack
/// incoming webhook (it sends no `link_names`), so it needs nothing.
struct SlackEscaped<'a, W: ?Sized>(&'a mut W);

impl<W: uWrite + ?Sized> uWrite for SlackEscaped<'_, W> {
    type Error = W::Error;

    fn write_str(&mut self, s: &str) -> Result<(), W::Error> {
        let mut rest = s;
        while let Some(i) = rest.find(['&', '<', '>']) {
            let Some((done, tail)) = rest.split_at_checked(i) else {
                break;
            };
            self.0.write_str(done)?;
            let mut chars = tail.chars();
            self.0.write_str(match chars.next() {
                Some('&') => "&amp;",
                Some('<') => "&lt;",
                _ => "&gt;",
            })?;
            rest = chars.as_str();
        }
        self.0.write_str(rest)
    }
}

fn json_str<W: uWrite + ?Sized>(w: &mut W, s: &[u8]) -> Result<(), W::Error> {
    w.write_str("\"")?;
    write_json_escaped(w, s)?;
    w.write_str("\"")
}

/// A chat body: Slack's `text`, Discord's `content` (with no mention allowed),
/// Telegram's `sendMessage` (plain text: no `parse_mode`, so no markup is read).
fn write_chat(body: &mut Body, ctx: &RenderContext<'_>, text: &str) {
    let _ = (|| {
        match ctx.format {
            // No mention in the text pings anyone (`@everyone`, `<@id>`, `<@&role>`).
            Format::Discord => body.write_str("{\"allowed_mentions\":{\"parse\":[]},\"content\":")?,
            Format::Telegram => {
                body.write_str("{\"chat_id\":")?;
                json_str(body, ctx.telegram_chat_id.as_bytes())?;
                body.write_str(",\"disable_web_page_preview\":true,\"text\":")?;
            }
            _ => body.write_str("{\"text\":")?,
        }
        json_str(body, text.as_bytes())?;
        body.write_str("}")
    })();
}

fn write_json<W: uWrite + ?Sized>(
    w: &mut W,
    ctx: &RenderContext<'_>,
    msg: &Message,
    dropped: u32,
    text: &str,
) -> Result<(), W::Error> {
    uwrite!(w, "{{\"status\":\"{}\",", msg.status())?;
    if let Some(crate::alert::End::Terminated { signal, .. }) = msg.end {
        uwrite!(w, "\"signal\":\"{}\",", signal.name())?;
    }
    w.write_str("\"host\":")?;
    json_str(w, ctx.host.as_bytes())?;
    match &msg.subject {
        Subject::Process(f) => {
            w.write_str(",\"kind\":\"process\",")?;
            crate::proc::report::write_process_fields(w, f)?;
        }
        Subject::Untracked(n) => uwrite!(w, ",\"kind\":\"untracked\",\"untracked\":{}", *n)?,
    }
    write_host_fields(w, &msg.host)?;
    uwrite!(w, ",\"dropped\":{},\"text\":", dropped)?;
    json_str(w, text.as_bytes())?;
    w.write_str("}")
}

/// The host's side as JSON members, each with a leading comma (issue 22):
/// `"lingering_cpu_cores"`, `"host_cpu_share_percent"` (one decimal) and
/// `"cpu_pressure_percent"` (`some avg60`, two decimals), `null` when unknown.
fn write_host_fields<W: uWrite + ?Sized>(w: &mut W, host: &HostShare) -> Result<(), W::Error> {
    w.write_str(",\"lingering_cpu_cores\":")?;
    crate::proc::usage::write_cores(w, host.lingering_millicores)?;
    w.write_str(",\"host_cpu_share_percent\":")?;
    match host.share_permille {
        Some(p) => write_share_percent(w, p)?,
        None => w.write_str("null")?,
    }
    w.write_str(",\"cpu_pressure_percent\":")?;
    match host.pressure_some_avg60 {
        Some(h) => write_pressure_percent(w, h)?,
        None => w.write_str("null")?,
    }
    Ok(())
}

/// Per-mille as a percent with one decimal: `631` is `63.1`.
fn write_share_percent<W: uWrite + ?Sized>(w: &mut W, permille: u16) -> Result<(), W::Error> {
    uwrite!(w, "{}.{}", permille / 10, permille % 10)
}

/// Hundredths of a percent as a percent with two decimals: `4105` is `41.05`.
fn write_pressure_percent<W: uWrite + ?Sized>(w: &mut W, hundredths: u16) -> Result<(), W::Error> {
    let zero = if hundredths % 100 < 10 { "0" } else { "" };
    uwrite!(w, "{}.{}{}", hundredths / 100, zero, hundredths % 100)
}

/// The host's side as Alertmanager annotations (strings), those that are known.
fn write_host_annotations<W: uWrite + ?Sized>(w: &mut W, host: &HostShare) -> Result<(), W::Error> {
    w.write_str(",\"lingering_cpu_cores\":\"")?;
    crate::proc::usage::write_cores(w, host.lingering_millicores)?;
    w.write_str("\"")?;
    if let Some(p) = host.share_permille {
        w.write_str(",\"host_cpu_share_percent\":\"")?;
        write_share_percent(w, p)?;
        w.write_str("\"")?;
    }
    if let Some(h) = host.pressure_some_avg60 {
        w.write_str(",\"cpu_pressure_percent\":\"")?;
        write_pressure_percent(w, h)?;
        w.write_str("\"")?;
    }
    Ok(())
}

/// As many of `messages` as fit the body, in order, as one Alertmanager array; the
/// sequence number of the last. `dropped` is reported once, in the first alert.
fn write_alertmanager_batch(
    body: &mut Body,
    ctx: &RenderContext<'_>,
    messages: &[Message],
    dropped: u32,
    now: Now,
    text: &mut Text,
) -> Option<Seq> {
    let _ = body.write_str("[");
    let mut last = None;
    for (i, msg) in messages.iter().enumerate() {
        let mark = body.len();
        let dropped = if i == 0 { dropped } else { 0 };
        fill_text(text, ctx, msg, dropped);
        let _ = body.write_str(if i == 0 { "" } else { "," });
        let _ = write_alertmanager_alert(body, ctx, msg, now, text.as_str());
        // Keep room for the closing bracket.
        if body.overflowed() || body.len() >= BODY_CAP {
            body.rewind(mark);
            break;
        }
        last = Some(msg.seq);
    }
    let _ = body.write_str("]");
    last
}

/// An alert's labels about one process: what identifies it, its severity, where it runs
/// and why it is an orphan.
fn write_process_labels<W: uWrite + ?Sized>(
    w: &mut W,
    ctx: &RenderContext<'_>,
    f: &crate::proc::found::Found,
) -> Result<(), W::Error> {
    w.write_str("\"LingeringProcess\",\"host\":")?;
    json_str(w, ctx.host.as_bytes())?;
    uwrite!(
        w,
        ",\"pid\":\"{}\",\"start_ticks\":\"{}\"",
        f.pid,
        f.start_ticks
    )?;
    uwrite!(w, ",\"severity\":\"{}\"", f.severity.name())?;
    if let Some(c) = &f.container {
        w.write_str(",\"container\":")?;
        json_str(w, c.id_str().as_bytes())?;
    }
    if let Some(p) = &f.pod {
        uwrite!(w, ",\"pod_uid\":\"{}\"", p.uid.as_str())?;
    }
    if let Some(n) = &f.pod_names {
        uwrite!(
            w,
            ",\"pod_namespace\":\"{}\",\"pod_name\":\"{}\"",
            n.namespace(),
                    n.name()
        )?;
    }
    if f.orphan_why.any() {
        w.write_str(",\"orphan_why\":\"")?;
        for (i, name) in f.orphan_why.names().enumerate() {
            w.write_str(if i == 0 { "" } else { "," })?;
            w.write_str(name)?;
        }
        w.write_str("\"")?;
    }
    Ok(())
}

fn write_alertmanager_alert<W: uWrite + ?Sized>(
    w: &mut W,
    ctx: &RenderContext<'_>,
    msg: &Message,
    now: Now,
    text: &str,
) -> Result<(), W::Error> {
    let summary = text.split('\n').next().unwrap_or("");
    w.write_str("{\"labels\":{\"alertname\":")?;
    match &msg.subject {
        Subject::Process(f) => write_process_labels(w, ctx, f)?,
        Subject::Untracked(_) => {
            w.write_str("\"LingeringProcessesUntracked\",\"host\":")?;
            json_str(w, ctx.host.as_bytes())?;
            w.write_str(",\"severity\":\"warning\"")?;
        }
    }
    w.write_str("},\"annotations\":{\"summary\":")?;
    json_str(w, summary.as_bytes())?;
    write_host_annotations(w, &msg.host)?;
    w.write_str(",\"description\":")?;
    json_str(w, text.as_bytes())?;
    w.write_str("},\"startsAt\":\"")?;
    write_rfc3339(w, now.wall_of(msg.fired_ms))?;
    w.write_str("\",\"endsAt\":\"")?;
    let ends = match (msg.kind, msg.end) {
        (Kind::Resolved, Some(end)) => now.wall_of(end.at_ms()),
        (Kind::Resolved, None) => now.wall_s,
        (Kind::Firing | Kind::Reminder, _) => now.wall_s.saturating_add(
            ctx.interval_s
                .max(ALERTMANAGER_MIN_RESEND_S)
                .saturating_mul(ALERTMANAGER_RESEND_FACTOR),
        ),
    };
    write_rfc3339(w, ends)?;
    w.write_str("\"}")
}
