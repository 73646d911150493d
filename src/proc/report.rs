//! What `lingerwatch scan` prints: a table for people, or one JSON object per line.
//!
//! Pure; never panics; writes through ufmt into any writer, so rendering a line needs no
//! allocation.

use ufmt::{uWrite, uwrite};

use crate::proc::found::{Found, OrphanWhy};
use crate::proc::usage::write_cores;
use crate::text::{
    write_centis, write_cut, write_duration, write_json_escaped, write_printable, FixedBuf,
};

/// Writes a process's fields as JSON members (no braces), shared by `scan --json` and the
/// `json` webhook format: `"pid":…,"ppid":…,…,"cmdline":"…"`.
pub(crate) fn write_process_fields<W: uWrite + ?Sized>(w: &mut W, f: &Found) -> Result<(), W::Error> {
    uwrite!(
        w,
        "\"pid\":{},\"ppid\":{},\"start_ticks\":{},\"age_s\":{},\"cpu_s\":",
        f.pid,
        f.ppid,
        f.start_ticks,
        f.age_s()
    )?;
    write_centis(w, f.cpu_centis)?;
    write_usage_fields(w, f)?;
    w.write_str(",\"state\":\"")?;
    write_json_escaped(w, &[f.state])?;
    w.write_str("\",\"orphan\":")?;
    w.write_str(if f.orphan() { "true" } else { "false" })?;
    w.write_str(",\"orphan_why\":[")?;
    for (i, name) in f.orphan_why.names().enumerate() {
        w.write_str(if i == 0 { "\"" } else { ",\"" })?;
        w.write_str(name)?;
        w.write_str("\"")?;
    }
    w.write_str("],\"parent\":\"")?;
    write_json_escaped(w, &f.parent)?;
    w.write_str("\",\"container\":")?;
    match &f.container {
        Some(c) => uwrite!(w, "\"{}\"", c.id_str())?,
        None => w.write_str("null")?,
    }
    match &f.pod {
        Some(p) => uwrite!(
            w,
            ",\"pod_uid\":\"{}\",\"pod_qos\":\"{}\"",
            p.uid.as_str(),
            p.qos.name()
        )?,
        None => w.write_str(",\"pod_uid\":null,\"pod_qos\":null")?,
    }
    match &f.pod_names {
        Some(n) => uwrite!(
            w,
            ",\"pod_namespace\":\"{}\",\"pod_name\":\"{}\"",
            n.namespace(),
            n.name()
        )?,
        None => w.write_str(",\"pod_namespace\":null,\"pod_name\":null")?,
    }
    uwrite!(w, ",\"descendants\":{},\"cmdline\":\"", f.descendants)?;
    write_cut(
        w,
        f.cmdline.as_bytes(),
        f.cmdline.truncated(),
        write_json_escaped,
    )?;
    w.write_str("\"")
}

/// A rate in cores, or `null` when there is none yet.
fn write_cores_or_null<W: uWrite + ?Sized>(w: &mut W, rate: Option<u32>) -> Result<(), W::Error> {
    match rate {
        Some(m) => write_cores(w, m),
        None => w.write_str("null"),
    }
}

/// What the process and its tree cost (issue 22), as JSON members each with a leading
/// comma: `"cpu_cores"`, `"rss_bytes"`, `"threads"`, the `"tree_…"` totals and
/// `"severity"`.
fn write_usage_fields<W: uWrite + ?Sized>(w: &mut W, f: &Found) -> Result<(), W::Error> {
    w.write_str(",\"cpu_cores\":")?;
    write_cores_or_null(w, f.cpu_millicores)?;
    w.write_str(",\"cpu_cores_lifetime\":")?;
    write_cores_or_null(w, f.lifetime_millicores())?;
    uwrite!(w, ",\"rss_bytes\":{},\"threads\":{}", f.rss_bytes, f.num_threads)?;
    w.write_str(",\"tree_cpu_cores\":")?;
    write_cores_or_null(w, f.tree.cpu_millicores)?;
    uwrite!(
        w,
        ",\"tree_rss_bytes\":{},\"tree_processes\":{},\"tree_cut\":",
        f.tree.rss_bytes,
        f.tree.processes
    )?;
    match f.tree.cut {
        Some(cut) => uwrite!(w, "\"{}\"", cut.name())?,
        None => w.write_str("null")?,
    }
    uwrite!(w, ",\"severity\":\"{}\"", f.severity.name())
}

/// Writes the reasons a process is an orphan, abbreviated (`init`, `sess`, `lnch`) and
/// joined by `sep`, or `-` when there is none: the table's ORPHAN column.
pub(crate) fn write_orphan_why<W: uWrite + ?Sized>(
    w: &mut W,
    why: OrphanWhy,
    sep: &str,
) -> Result<(), W::Error> {
    if !why.any() {
        return w.write_str("-");
    }
    for (i, short) in why.abbreviations().enumerate() {
        if i > 0 {
            w.write_str(sep)?;
        }
        w.write_str(short)?;
    }
    Ok(())
}

/// Writes one match as a compact JSON object (no newline): what `scan --json` prints.
/// `lingers` is the policy's verdict on it.
pub fn write_json_line<W: uWrite + ?Sized>(
    w: &mut W,
    f: &Found,
    lingers: bool,
) -> Result<(), W::Error> {
    w.write_str("{")?;
    write_process_fields(w, f)?;
    w.write_str(",\"over_threshold\":")?;
    w.write_str(if lingers { "true" } else { "false" })?;
    w.write_str("}")
}

/// The table header.
pub(crate) fn write_table_header<W: uWrite + ?Sized>(w: &mut W) -> Result<(), W::Error> {
    w.write_str(
        "    PID    PPID      AGE      CPU S   AVG  TREE ORPHAN         PARENT          CONTAINER    POD      DESC CMDLINE\n",
    )
}

/// Writes `text` padded to `width` characters, right-aligned or left-aligned.
fn cell<W: uWrite + ?Sized>(
    w: &mut W,
    text: &str,
    width: usize,
    right: bool,
) -> Result<(), W::Error> {
    let n = text.chars().count();
    let pad = |w: &mut W| -> Result<(), W::Error> {
        for _ in n..width {
            w.write_str(" ")?;
        }
        Ok(())
    };
    if right {
        pad(w)?;
        w.write_str(text)
    } else {
        w.write_str(text)?;
        pad(w)
    }
}

/// The AVG column (cores over the process's life: CPU seconds / age) and the TREE
/// column (cores its tree used over the last interval: `scan --sample-s N`), `-` when
/// unknown.
fn write_rate_cells<W: uWrite + ?Sized>(w: &mut W, f: &Found) -> Result<(), W::Error> {
    for rate in [f.lifetime_millicores(), f.tree.cpu_millicores] {
        let mut b = FixedBuf::<16>::new();
        match rate {
            Some(m) => {
                let _ = write_cores(&mut b, m);
            }
            None => {
                let _ = b.write_str("-");
            }
        }
        w.write_str(" ")?;
        cell(w, b.as_str(), 5, true)?;
    }
    Ok(())
}

/// The POD column: `namespace/name` where the kubelet's directory named it (both are
/// DNS names: printable), else the uid's short form, else `-`.
fn write_pod_cell<W: uWrite + ?Sized>(w: &mut W, f: &Found) -> Result<(), W::Error> {
    match (&f.pod_names, &f.pod) {
        (Some(n), _) => {
            w.write_str(n.as_str())?;
            let len = n.as_str().len();
            for _ in len..8 {
                w.write_str(" ")?;
            }
            Ok(())
        }
        (None, Some(p)) => cell(w, p.uid.short(), 8, false),
        (None, None) => cell(w, "-", 8, false),
    }
}

/// Writes one match as a table row, newline included; `lingers` marks its age with `!`.
/// Control characters in the cmdline or comm are replaced, so a process cannot forge
/// rows.
pub fn write_table_row<W: uWrite + ?Sized>(
    w: &mut W,
    f: &Found,
    lingers: bool,
) -> Result<(), W::Error> {
    let mut b = FixedBuf::<96>::new();
    let _ = uwrite!(b, "{}", f.pid);
    cell(w, b.as_str(), 7, true)?;
    b.clear();
    let _ = uwrite!(b, "{}", f.ppid);
    w.write_str(" ")?;
    cell(w, b.as_str(), 7, true)?;
    b.clear();
    let _ = write_duration(&mut b, f.age_s());
    let _ = b.write_str(if lingers { "!" } else { "" });
    w.write_str(" ")?;
    cell(w, b.as_str(), 8, true)?;
    b.clear();
    let _ = write_centis(&mut b, f.cpu_centis);
    w.write_str(" ")?;
    cell(w, b.as_str(), 8, true)?;
    write_rate_cells(w, f)?;
    w.write_str(" ")?;
    write_printable(w, &[f.state])?;
    w.write_str(" ")?;
    b.clear();
    let _ = write_orphan_why(&mut b, f.orphan_why, ",");
    cell(w, b.as_str(), 15, false)?;
    b.clear();
    let _ = write_printable(&mut b, &f.parent);
    cell(w, b.as_str(), 16, false)?;
    cell(
        w,
        f.container.as_ref().map_or("-", |c| c.short_id()),
        12,
        false,
    )?;
    w.write_str(" ")?;
    write_pod_cell(w, f)?;
    b.clear();
    let _ = uwrite!(b, "{}", f.descendants);
    w.write_str(" ")?;
    cell(w, b.as_str(), 4, true)?;
    w.write_str(" ")?;
    write_cut(
        w,
        f.cmdline.as_bytes(),
        f.cmdline.truncated(),
        write_printable,
    )?;
    w.write_str("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_row_shows_format_characters_escaped() {
        let mut f = Found::blank(4242, 1);
        f.cmdline.feed(b"evil\xe2\x80\xae\0gpj.exe\0");
        let _ = f.parent.extend_from_slice("sh\u{200b}".as_bytes());
        let mut row = FixedBuf::<512>::new();
        let _ = write_table_row(&mut row, &f, true);
        let row = row.as_str();
        assert!(row.ends_with(" evil<U+202E> gpj.exe\n"), "{row:?}");
        assert!(row.contains("sh<U+200B>"), "{row:?}");
        assert!(!row.contains('\u{202e}') && !row.contains('\u{200b}'), "{row:?}");
    }
}
