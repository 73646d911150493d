//! Alert bodies for each webhook format, and the human text inside them (English or
//! Russian).
//!
//! Pure; never panics; writes through ufmt into fixed buffers, no allocation. Every body
//! is valid JSON whatever bytes the cmdline holds (escaped, invalid UTF-8 replaced), and
//! the text stays within each service's limit (cut with a visible marker).

use ufmt::{uWrite, uwrite};

use crate::alert::Kind;
use crate::config::{Format, Lang};
use crate::outbox::{Message, Subject};
use crate::scan::Found;
use crate::text::{
    cut_to_chars, write_centis, write_duration, write_json_escaped, write_printable, write_rfc3339,
    FixedBuf, CUT_MARKER,
};

/// Room for the human text, in bytes (Telegram's 4096 characters is the largest limit).
pub const TEXT_CAP: usize = 4096;
/// Room for one body: text and cmdline escaped, twice over for Alertmanager.
pub const BODY_CAP: usize = 32 * 1024;
/// Discord's limit on `content`, in characters.
pub const DISCORD_MAX_CHARS: usize = 2000;
/// Telegram's limit on `text`, in characters.
pub const TELEGRAM_MAX_CHARS: usize = 4096;
/// Slack's recommended cap on `text` (it truncates past 40,000).
pub const SLACK_MAX_CHARS: usize = 4000;
/// How far ahead Alertmanager's `endsAt` is put while a process stays active, in ticks:
/// long enough to survive a missed tick or two, short enough to lapse if we die.
pub const ALERTMANAGER_ENDS_AFTER_TICKS: u64 = 4;

pub type Text = FixedBuf<TEXT_CAP>;
pub type Body = FixedBuf<BODY_CAP>;

/// Everything a body needs besides the message.
#[derive(Clone, Copy, Debug)]
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

struct Words {
    firing: &'static str,
    reminder: &'static str,
    resolved: &'static str,
    on: &'static str,
    process: &'static str,
    running_for: &'static str,
    still_running: &'static str,
    gone_after: &'static str,
    threshold: &'static str,
    command: &'static str,
    cpu: &'static str,
    seconds: &'static str,
    state: &'static str,
    parent: &'static str,
    orphan: &'static str,
    parent_alive: &'static str,
    parent_unknown: &'static str,
    container: &'static str,
    no_container: &'static str,
    descendants: &'static str,
    started: &'static str,
    look: &'static str,
    stop: &'static str,
    untracked_firing: &'static str,
    untracked_resolved: &'static str,
    untracked_hint: &'static str,
    dropped: &'static str,
}

const EN: Words = Words {
    firing: "[FIRING]",
    reminder: "[REMINDER]",
    resolved: "[RESOLVED]",
    on: "on",
    process: "process",
    running_for: "has been running for",
    still_running: "is still running after",
    gone_after: "is gone; it ran for",
    threshold: "threshold",
    command: "command",
    cpu: "CPU used",
    seconds: "s",
    state: "state",
    parent: "parent",
    orphan: "ORPHAN: its starter is gone",
    parent_alive: "its parent is alive",
    parent_unknown: "unknown",
    container: "container",
    no_container: "none (host process)",
    descendants: "matching descendants",
    started: "started",
    look: "look",
    stop: "stop",
    untracked_firing: "more lingering processes than the alert table holds",
    untracked_resolved: "no lingering processes are untracked any more; there were",
    untracked_hint: "list them on the host with: lingerwatch scan",
    dropped: "earlier alerts were dropped while the webhook was unreachable",
};

const RU: Words = Words {
    firing: "[ТРЕВОГА]",
    reminder: "[НАПОМИНАНИЕ]",
    resolved: "[РЕШЕНО]",
    on: "на",
    process: "процесс",
    running_for: "работает уже",
    still_running: "всё ещё работает, уже",
    gone_after: "завершился; он работал",
    threshold: "порог",
    command: "команда",
    cpu: "CPU",
    seconds: "с",
    state: "состояние",
    parent: "родитель",
    orphan: "СИРОТА: запустивший его процесс завершён",
    parent_alive: "родитель жив",
    parent_unknown: "неизвестен",
    container: "контейнер",
    no_container: "нет (процесс хоста)",
    descendants: "совпавших потомков",
    started: "запущен",
    look: "посмотреть",
    stop: "остановить",
    untracked_firing: "зависших процессов сверх ёмкости таблицы оповещений",
    untracked_resolved: "неотслеживаемых зависших процессов больше нет; их было",
    untracked_hint: "список на хосте: lingerwatch scan",
    dropped: "предыдущих оповещений потеряно, пока вебхук был недоступен",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Ru => &RU,
    }
}

fn kind_word(w: &Words, kind: Kind) -> &'static str {
    match kind {
        Kind::Firing => w.firing,
        Kind::Reminder => w.reminder,
        Kind::Resolved => w.resolved,
    }
}

/// The first line of the text: what happened, where, to what.
fn write_headline<W: uWrite + ?Sized>(
    w: &mut W,
    ctx: &RenderContext<'_>,
    msg: &Message,
) -> Result<(), W::Error> {
    let t = words(ctx.lang);
    uwrite!(w, "{} lingerwatch {} ", kind_word(t, msg.kind), t.on)?;
    write_printable(w, ctx.host.as_bytes())?;
    w.write_str(": ")?;
    match &msg.subject {
        Subject::Process(f) => {
            uwrite!(w, "{} {} (", t.process, f.pid)?;
            write_printable(w, first_word(f.cmdline.as_bytes()))?;
            w.write_str(") ")?;
            match msg.kind {
                Kind::Firing => w.write_str(t.running_for)?,
                Kind::Reminder => w.write_str(t.still_running)?,
                Kind::Resolved => w.write_str(t.gone_after)?,
            }
            w.write_str(" ")?;
            write_duration(w, f.age_s())?;
            if msg.kind != Kind::Resolved {
                uwrite!(w, " ({} ", t.threshold)?;
                write_duration(w, ctx.threshold_s)?;
                w.write_str(")")?;
            }
            Ok(())
        }
        Subject::Untracked(n) => match msg.kind {
            Kind::Resolved => uwrite!(w, "{} {}", t.untracked_resolved, *n),
            _ => uwrite!(
                w,
                "{} {} ({})",
                *n,
                t.untracked_firing,
                crate::alert::ALERT_CAPACITY
            ),
        },
    }
}

/// The program name: the last path segment of the first argument.
fn first_word(cmdline: &[u8]) -> &[u8] {
    let arg0 = cmdline.split(|&b| b == b' ').next().unwrap_or(&[]);
    arg0.rsplit(|&b| b == b'/').next().unwrap_or(arg0)
}

/// The whole human text: the headline, then what an operator needs to act.
pub fn write_text<W: uWrite + ?Sized>(
    w: &mut W,
    ctx: &RenderContext<'_>,
    msg: &Message,
    dropped: u32,
) -> Result<(), W::Error> {
    let t = words(ctx.lang);
    write_headline(w, ctx, msg)?;
    match &msg.subject {
        Subject::Process(f) => write_details(w, ctx, t, f)?,
        Subject::Untracked(_) => uwrite!(w, "\n{}", t.untracked_hint)?,
    }
    if dropped > 0 {
        uwrite!(w, "\n({} {})", dropped, t.dropped)?;
    }
    Ok(())
}

fn write_details<W: uWrite + ?Sized>(
    w: &mut W,
    ctx: &RenderContext<'_>,
    t: &Words,
    f: &Found,
) -> Result<(), W::Error> {
    uwrite!(w, "\n{}: ", t.command)?;
    write_printable(w, f.cmdline.as_bytes())?;
    if f.cmdline.truncated() {
        w.write_str(CUT_MARKER)?;
    }
    uwrite!(w, "\n{}: ", t.cpu)?;
    write_centis(w, f.cpu_centis)?;
    uwrite!(w, " {}, {} ", t.seconds, t.state)?;
    write_printable(w, &[f.state])?;
    uwrite!(w, "\n{}: ", t.parent)?;
    if f.parent.is_empty() {
        w.write_str(t.parent_unknown)?;
    } else {
        write_printable(w, &f.parent)?;
    }
    uwrite!(
        w,
        " (ppid {}), {}",
        f.ppid,
        if f.orphan { t.orphan } else { t.parent_alive }
    )?;
    uwrite!(w, "\n{}: ", t.container)?;
    match &f.container {
        Some(c) => uwrite!(w, "{} {}", c.runtime.name(), c.short_id())?,
        None => w.write_str(t.no_container)?,
    }
    if f.descendants > 0 {
        uwrite!(w, "\n{}: {}", t.descendants, f.descendants)?;
    }
    if let Some(btime) = ctx.btime_s {
        let start = btime.saturating_add(f.start_ticks.checked_div(ctx.clk_tck).unwrap_or(0));
        uwrite!(w, "\n{}: ", t.started)?;
        write_rfc3339(w, start)?;
    }
    uwrite!(w, "\n{}: ps -o pid,ppid,etime,args -p {}", t.look, f.pid)?;
    uwrite!(w, "\n{}: kill -TERM {}", t.stop, f.pid)
}

/// Renders the text, cut to `max_chars`.
fn text_within(
    ctx: &RenderContext<'_>,
    msg: &Message,
    dropped: u32,
    max_chars: usize,
    out: &mut Text,
) {
    out.clear();
    let _ = write_text(out, ctx, msg, dropped);
    cut_to_chars(out, max_chars);
}

fn json_str<W: uWrite + ?Sized>(w: &mut W, s: &[u8]) -> Result<(), W::Error> {
    w.write_str("\"")?;
    write_json_escaped(w, s)?;
    w.write_str("\"")
}

/// Renders the body of `msg` for `ctx.format` into `body`, using `text` as scratch.
pub fn render_body(
    ctx: &RenderContext<'_>,
    msg: &Message,
    dropped: u32,
    now: Now,
    text: &mut Text,
    body: &mut Body,
) {
    body.clear();
    let _ = match ctx.format {
        Format::Json => {
            text_within(ctx, msg, dropped, TEXT_CAP, text);
            write_json(body, ctx, msg, dropped, text.as_str())
        }
        Format::Slack => {
            text_within(ctx, msg, dropped, SLACK_MAX_CHARS, text);
            wrap(body, "{\"text\":", text.as_str())
        }
        Format::Discord => {
            text_within(ctx, msg, dropped, DISCORD_MAX_CHARS, text);
            wrap(body, "{\"content\":", text.as_str())
        }
        Format::Telegram => {
            text_within(ctx, msg, dropped, TELEGRAM_MAX_CHARS, text);
            (|| {
                body.write_str("{\"chat_id\":")?;
                json_str(body, ctx.telegram_chat_id.as_bytes())?;
                body.write_str(",\"disable_web_page_preview\":true,\"text\":")?;
                json_str(body, text.as_str().as_bytes())?;
                body.write_str("}")
            })()
        }
        Format::Alertmanager => {
            text_within(ctx, msg, dropped, TEXT_CAP, text);
            write_alertmanager(body, ctx, msg, now, text.as_str())
        }
    };
}

fn wrap(body: &mut Body, open: &str, text: &str) -> Result<(), core::convert::Infallible> {
    body.write_str(open)?;
    json_str(body, text.as_bytes())?;
    body.write_str("}")
}

fn write_json<W: uWrite + ?Sized>(
    w: &mut W,
    ctx: &RenderContext<'_>,
    msg: &Message,
    dropped: u32,
    text: &str,
) -> Result<(), W::Error> {
    uwrite!(w, "{{\"status\":\"{}\",\"host\":", msg.kind.as_str())?;
    json_str(w, ctx.host.as_bytes())?;
    match &msg.subject {
        Subject::Process(f) => {
            w.write_str(",\"kind\":\"process\",")?;
            crate::report::write_process_fields(w, f)?;
        }
        Subject::Untracked(n) => uwrite!(w, ",\"kind\":\"untracked\",\"untracked\":{}", *n)?,
    }
    uwrite!(w, ",\"dropped\":{},\"text\":", dropped)?;
    json_str(w, text.as_bytes())?;
    w.write_str("}")
}

fn write_alertmanager<W: uWrite + ?Sized>(
    w: &mut W,
    ctx: &RenderContext<'_>,
    msg: &Message,
    now: Now,
    text: &str,
) -> Result<(), W::Error> {
    let summary = text.split('\n').next().unwrap_or("");
    w.write_str("[{\"labels\":{\"alertname\":")?;
    match &msg.subject {
        Subject::Process(f) => {
            w.write_str("\"LingeringProcess\",\"host\":")?;
            json_str(w, ctx.host.as_bytes())?;
            uwrite!(
                w,
                ",\"pid\":\"{}\",\"start_ticks\":\"{}\"",
                f.pid,
                f.start_ticks
            )?;
            if let Some(c) = &f.container {
                w.write_str(",\"container\":")?;
                json_str(w, c.id_str().as_bytes())?;
            }
        }
        Subject::Untracked(_) => {
            w.write_str("\"LingeringProcessesUntracked\",\"host\":")?;
            json_str(w, ctx.host.as_bytes())?;
        }
    }
    w.write_str("},\"annotations\":{\"summary\":")?;
    json_str(w, summary.as_bytes())?;
    w.write_str(",\"description\":")?;
    json_str(w, text.as_bytes())?;
    w.write_str("},\"startsAt\":\"")?;
    write_rfc3339(w, now.wall_of(msg.fired_ms))?;
    w.write_str("\",\"endsAt\":\"")?;
    let ends = match msg.kind {
        Kind::Resolved => now.wall_s,
        Kind::Firing | Kind::Reminder => now
            .wall_s
            .saturating_add(ctx.interval_s.saturating_mul(ALERTMANAGER_ENDS_AFTER_TICKS)),
    };
    write_rfc3339(w, ends)?;
    w.write_str("\"}]")
}
