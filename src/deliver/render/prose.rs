//! The human text of an alert: one message, or a digest of many.
//!
//! Pure; never panics; writes through ufmt, no allocation. Everything from a process or a
//! host is written printable (control characters and invalid UTF-8 replaced), so a
//! hostile cmdline cannot forge lines.

use ufmt::{uWrite, uwrite};

use super::words::{kind_word, words, Words};
use super::RenderContext;
use crate::alert::{Batch, End, HostShare, Kind, Message, Subject, ALERT_CAPACITY};
use crate::proc::found::{Adopter, Found, OrphanWhy};
use crate::proc::usage::{write_cores, Severity};
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
    w.write_str(word)?;
    if let Subject::Process(f) = &msg.subject {
        if f.severity == Severity::Critical && msg.kind != Kind::Resolved {
            uwrite!(w, " {}", t.critical_tag)?;
        }
    }
    uwrite!(w, " lingerwatch {} ", t.on)?;
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
    write_host(w, t, &msg.host)?;
    match &msg.subject {
        Subject::Process(f) => {
            write_usage(w, t, f, msg.fell_back)?;
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

/// What the process and its tree use now, and the severity (issue 22): "CPU now: 1.02
/// cores, 2 MiB; with its descendants: 1.05 cores, 2 processes, 210 MiB" and "severity:
/// critical".
fn write_usage<W: uWrite + ?Sized>(
    w: &mut W,
    t: &Words,
    f: &Found,
    fell_back: bool,
) -> Result<(), W::Error> {
    uwrite!(w, "\n{}: ", t.cpu_now)?;
    write_rate(w, t, f.cpu_millicores)?;
    uwrite!(w, ", {} MiB; {}: ", f.rss_bytes >> 20, t.its_tree)?;
    write_rate(w, t, f.tree.cpu_millicores)?;
    uwrite!(
        w,
        ", {} {}, {} MiB",
        f.tree.processes,
        t.processes,
        f.tree.rss_bytes >> 20
    )?;
    if f.tree.cut.is_some() {
        uwrite!(w, " ({})", t.tree_cut)?;
    }
    let severity = match f.severity {
        Severity::Critical => t.critical,
        Severity::Warning => t.warning,
    };
    uwrite!(w, "\n{}: {}", t.severity, severity)?;
    if fell_back && f.severity == Severity::Warning {
        uwrite!(w, " ({})", t.fell_back)?;
    }
    Ok(())
}

/// The host's side, when known: "lingering processes use 63% of this host's CPU; CPU
/// pressure 41%" (either half alone when the other is unknown).
fn write_host<W: uWrite + ?Sized>(w: &mut W, t: &Words, host: &HostShare) -> Result<(), W::Error> {
    if let Some(share) = host.share_permille {
        uwrite!(w, "\n{} {}% {}", t.host_share, share / 10, t.of_host_cpu)?;
    }
    if let Some(pressure) = host.pressure_some_avg60 {
        let sep = if host.share_permille.is_some() { "; " } else { "\n" };
        uwrite!(w, "{}{} {}%", sep, t.cpu_pressure, pressure / 100)?;
    }
    Ok(())
}

/// A rate in cores ("1.02 cores"), or why there is none yet.
fn write_rate<W: uWrite + ?Sized>(w: &mut W, t: &Words, rate: Option<u32>) -> Result<(), W::Error> {
    match rate {
        Some(m) => {
            write_cores(w, m)?;
            uwrite!(w, " {}", t.cores)
        }
        None => w.write_str(t.not_measured),
    }
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
        write_pod(w, t, pod, f.pod_names.as_ref(), f.container.as_ref())?;
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

/// The pod, and the command that finds it: by namespace and name where the kubelet's
/// directory named it (issue 22); else `kubectl get pods --field-selector
/// metadata.uid=` does not exist, so the one that works lists every pod's uid.
fn write_pod<W: uWrite + ?Sized>(
    w: &mut W,
    t: &Words,
    pod: &crate::proc::parse::cgroup::Pod,
    names: Option<&crate::proc::found::PodLabel>,
    container: Option<&crate::proc::found::Container>,
) -> Result<(), W::Error> {
    let uid = pod.uid.as_str();
    match names {
        Some(n) => {
            let (ns, name) = (n.namespace(), n.name());
            uwrite!(w, "\n{}: {}/{} (uid {}, {})", t.pod, ns, name, uid, pod.qos.name())?;
            uwrite!(w, "\n{}: kubectl -n {} describe pod {}", t.find_pod, ns, name)?;
        }
        None => {
            uwrite!(w, "\n{}: {} ({})", t.pod, uid, pod.qos.name())?;
            uwrite!(
                w,
                "\n{}: kubectl get pods -A -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,UID:.metadata.uid | grep {}",
                t.find_pod,
                uid
            )?;
        }
    }
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
    if let Some(first) = batch.messages().first() {
        write_host(w, t, &first.host)?;
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
