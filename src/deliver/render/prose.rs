//! The human text of an alert: one message, or a digest of many.
//!
//! Pure; never panics; writes through ufmt, no allocation. Everything from a process or a
//! host is written printable (control characters and invalid UTF-8 replaced), so a
//! hostile cmdline cannot forge lines.

use ufmt::{uWrite, uwrite};

use super::words::{kind_word, words, Words};
use super::RenderContext;
use crate::alert::{Batch, End, Kind, Message, Subject, ALERT_CAPACITY};
use crate::proc::found::{Adopter, Found, OrphanWhy};
use crate::text::{write_centis, write_cut, write_duration, write_printable, write_rfc3339};

/// How many processes of each kind a digest names before it only counts.
pub const DIGEST_SHOWN: usize = crate::alert::DIGEST_NAMED;

/// The first line of the text: what happened, where, to what.
fn write_headline<W: uWrite + ?Sized>(
    w: &mut W,
    ctx: &RenderContext<'_>,
    msg: &Message,
) -> Result<(), W::Error> {
    let t = words(ctx.lang);
    let word = match msg.end {
        Some(End::Terminated { .. }) if msg.kind == Kind::Resolved => t.terminated,
        _ => kind_word(t, msg.kind),
    };
    uwrite!(w, "{} lingerwatch {} ", word, t.on)?;
    write_printable(w, ctx.host.as_bytes())?;
    w.write_str(": ")?;
    match &msg.subject {
        Subject::Process(f) => {
            uwrite!(w, "{} {} (", t.process, f.pid)?;
            write_printable(w, first_word(f.cmdline.as_bytes()))?;
            w.write_str(") ")?;
            match (msg.kind, msg.end) {
                (Kind::Firing, _) => w.write_str(t.running_for)?,
                (Kind::Reminder, _) => w.write_str(t.still_running)?,
                (Kind::Resolved, Some(End::NoLongerLingers { .. })) => {
                    w.write_str(t.no_longer_lingers)?
                }
                (Kind::Resolved, Some(End::Terminated { signal, .. })) => {
                    uwrite!(w, "{} {}; {}", t.terminated_with, signal.name(), t.it_ran_for)?
                }
                (Kind::Resolved, _) => w.write_str(t.gone_after)?,
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
            _ => uwrite!(w, "{} {} {}", *n, t.untracked_firing, ALERT_CAPACITY),
        },
    }
}

/// The program name: the last path segment of the first argument.
fn first_word(cmdline: &[u8]) -> &[u8] {
    let arg0 = cmdline.split(|&b| b == b' ').next().unwrap_or(&[]);
    arg0.rsplit(|&b| b == b'/').next().unwrap_or(arg0)
}

/// The whole human text of one message: the headline, then what an operator needs to
/// act.
pub(crate) fn write_text<W: uWrite + ?Sized>(
    w: &mut W,
    ctx: &RenderContext<'_>,
    msg: &Message,
    dropped: u32,
) -> Result<(), W::Error> {
    let t = words(ctx.lang);
    write_headline(w, ctx, msg)?;
    match &msg.subject {
        Subject::Process(f) => {
            write_details(w, ctx, t, f)?;
            // Commands to look at or stop the process, while it lives.
            if msg.kind != Kind::Resolved {
                write_commands(w, t, f)?;
            }
            write_terminate_at(w, t, msg)?;
        }
        Subject::Untracked(_) => uwrite!(w, "\n{}", t.untracked_hint)?,
    }
    write_dropped(w, t, dropped)
}

/// For a process lingerwatch will terminate, when (issue 24).
fn write_terminate_at<W: uWrite + ?Sized>(w: &mut W, t: &Words, msg: &Message) -> Result<(), W::Error> {
    let Some(at_ms) = msg.terminate_at_ms.filter(|_| msg.kind != Kind::Resolved) else {
        return Ok(());
    };
    uwrite!(w, "\n{}: ", t.will_terminate)?;
    write_duration(w, at_ms.saturating_sub(msg.fired_ms) / 1000)?;
    uwrite!(w, " {}", t.after_first_alert)
}

fn write_dropped<W: uWrite + ?Sized>(w: &mut W, t: &Words, dropped: u32) -> Result<(), W::Error> {
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
    write_cut(w, f.cmdline.as_bytes(), f.cmdline.truncated(), write_printable)?;
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
        if f.orphan() { t.orphan } else { t.parent_alive }
    )?;
    write_orphan_why(w, t, f)?;
    uwrite!(w, "\n{}: ", t.container)?;
    match &f.container {
        Some(c) => uwrite!(w, "{} {}", c.runtime.name(), c.short_id())?,
        None => w.write_str(t.no_container)?,
    }
    if let Some(pod) = &f.pod {
        write_pod(w, t, pod, f.container.as_ref())?;
    }
    if f.descendants > 0 {
        uwrite!(w, "\n{}: {}", t.descendants, f.descendants)?;
    }
    if let Some(btime) = ctx.btime_s {
        let start = btime.saturating_add(f.start_ticks.checked_div(ctx.clk_tck).unwrap_or(0));
        uwrite!(w, "\n{}: ", t.started)?;
        write_rfc3339(w, start)?;
    }
    Ok(())
}

fn write_commands<W: uWrite + ?Sized>(w: &mut W, t: &Words, f: &Found) -> Result<(), W::Error> {
    uwrite!(w, "\n{}: ps -o pid,ppid,etime,args -p {}", t.look, f.pid)?;
    uwrite!(w, "\n{}: kill -TERM {}", t.stop, f.pid)
}

/// A line per reason the process is an orphan: "adopted by bash, the init of its
/// container", "its session leader 4711 is gone", "its launcher 4711 (bash) died 3m ago".
fn write_orphan_why<W: uWrite + ?Sized>(w: &mut W, t: &Words, f: &Found) -> Result<(), W::Error> {
    if let Some(adopter) = f.adopter.filter(|_| f.orphan_why.has(OrphanWhy::INIT)) {
        uwrite!(w, "\n{}: {} ", t.orphan_because, t.adopted_by)?;
        if f.parent.is_empty() {
            uwrite!(w, "{}", f.ppid)?;
        } else {
            write_printable(w, &f.parent)?;
        }
        let what = match adopter {
            Adopter::Pid1 => t.init_pid1,
            Adopter::NamespaceInit => t.init_of_container,
            Adopter::Named => t.init_named,
        };
        uwrite!(w, ", {}", what)?;
    }
    if f.orphan_why.has(OrphanWhy::SESSION) {
        uwrite!(
            w,
            "\n{}: {} {} {}",
            t.orphan_because,
            t.session_leader,
            f.session,
            t.is_gone
        )?;
    }
    if let Some(l) = f.launcher.as_ref().filter(|_| f.orphan_why.has(OrphanWhy::LAUNCHER)) {
        uwrite!(w, "\n{}: {} {} (", t.orphan_because, t.launcher, l.pid)?;
        write_printable(w, &l.comm)?;
        uwrite!(w, ") {} ", t.died)?;
        write_duration(w, l.gone_for_s)?;
        uwrite!(w, " {}", t.ago)?;
    }
    Ok(())
}

/// The pod, and the commands that name it: `kubectl get pods --field-selector
/// metadata.uid=` does not exist, so the one that works lists every pod's uid.
fn write_pod<W: uWrite + ?Sized>(
    w: &mut W,
    t: &Words,
    pod: &crate::proc::parse::cgroup::Pod,
    container: Option<&crate::proc::found::Container>,
) -> Result<(), W::Error> {
    let uid = pod.uid.as_str();
    uwrite!(w, "\n{}: {} ({})", t.pod, uid, pod.qos.name())?;
    uwrite!(
        w,
        "\n{}: kubectl get pods -A -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,UID:.metadata.uid | grep {}",
        t.find_pod,
        uid
    )?;
    if let Some(c) = container {
        uwrite!(w, "\n{}: crictl inspect {}", t.on_node, c.id_str())?;
    }
    Ok(())
}

/// One message for many: per kind, how many, and the first few by pid and program
/// ("37 processes started lingering on host-a: 123 (pytest), …, and 32 more"). Chat
/// services rate-limit webhooks to about one message a second, so a burst is one digest.
/// Each process is counted once: one the aggregate counted before the table took it is
/// told as moved, not as started again.
pub(crate) fn write_digest<W: uWrite + ?Sized>(
    w: &mut W,
    ctx: &RenderContext<'_>,
    batch: &Batch,
) -> Result<(), W::Error> {
    let t = words(ctx.lang);
    let mut first = true;
    for (kind, phrase) in [
        (Kind::Firing, t.digest_firing),
        (Kind::Resolved, t.digest_resolved),
        (Kind::Reminder, t.digest_reminder),
    ] {
        let processes = batch.processes_of(kind);
        if processes == 0 {
            continue;
        }
        if !first {
            w.write_str("\n")?;
        }
        first = false;
        uwrite!(w, "{} {} {} ", kind_word(t, kind), processes, phrase)?;
        write_printable(w, ctx.host.as_bytes())?;
        w.write_str(":")?;
        write_digest_items(w, t, batch, kind, false, processes)?;
        if let Some(n) = batch.aggregate_of(kind) {
            uwrite!(w, " ({} {} {})", n, t.digest_untracked, ALERT_CAPACITY)?;
        }
    }
    if batch.moved() > 0 {
        if !first {
            w.write_str("\n")?;
        }
        uwrite!(w, "{} {} ", batch.moved(), t.digest_moved)?;
        write_printable(w, ctx.host.as_bytes())?;
        w.write_str(":")?;
        write_digest_items(w, t, batch, Kind::Firing, true, batch.moved())?;
    }
    uwrite!(w, "\n{}", t.untracked_hint)?;
    write_dropped(w, t, batch.dropped)
}

/// The first processes of a digest line by pid and program, then how many more of
/// `total`.
fn write_digest_items<W: uWrite + ?Sized>(
    w: &mut W,
    t: &Words,
    batch: &Batch,
    kind: Kind,
    moved: bool,
    total: u32,
) -> Result<(), W::Error> {
    let mut shown: u32 = 0;
    for f in batch.named(kind, moved) {
        w.write_str(if shown == 0 { " " } else { ", " })?;
        uwrite!(w, "{} (", f.pid)?;
        write_printable(w, first_word(f.cmdline.as_bytes()))?;
        w.write_str(")")?;
        shown = shown.saturating_add(1);
    }
    let rest = total.saturating_sub(shown);
    // Nothing named (only the aggregate's untracked processes): the count says it all.
    if rest > 0 && shown > 0 {
        uwrite!(w, ", {} {}", t.and_more, rest)?;
        if !t.more.is_empty() {
            uwrite!(w, " {}", t.more)?;
        }
    }
    Ok(())
}
