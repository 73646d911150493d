//! The syscall floor of a `/proc` scanner: what any tool that finds processes by argv must
//! do, and nothing else. getdents64 of `/proc` into a fixed buffer; per pid, open/read/close
//! of `cmdline` into a fixed 4 KiB buffer, NULs turned into spaces, a substring search (a
//! word-at-a-time first-byte scan, then a compare); for matches, a read of `stat`.
//!
//! Built at opt-level 3 as its own crate (`scripts/bench/floor/`), static musl, so it is
//! measured as lingerwatch is shipped: a whole process.
//!
//! Usage:
//! - `lingerwatch-floor [PATTERN]`: one scan; prints `pids matches` (whole-process timing).
//! - `lingerwatch-floor --serve [PATTERN]`: one scan per line read on stdin, each printed
//!   as `nanoseconds pids matches` (in-process timing, interleaved with another peer by the
//!   harness that writes the lines).
//! - `lingerwatch-floor --every-ms MS --scans N [PATTERN]`: N scans MS apart, then the
//!   CPU they used (the daemon's CPU budget: the floor at the daemon's rate).
#![allow(unsafe_code)]

use std::io::{BufRead, Write};

const DIR_BUF: usize = 16 * 1024;
const CMDLINE_BUF: usize = 4096;
const STAT_BUF: usize = 1024;

struct Floor {
    proc_fd: libc::c_int,
    dir: Box<[u8; DIR_BUF]>,
    buf: Box<[u8; CMDLINE_BUF]>,
    pattern: Vec<u8>,
}

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

#[inline(always)]
fn has_zero_byte(x: u64) -> bool {
    x.wrapping_sub(ONES) & !x & HIGHS != 0
}

/// memchr-like: the first `byte` in `hay`, eight bytes at a time.
#[inline(always)]
fn find_byte(hay: &[u8], byte: u8) -> Option<usize> {
    let want = u64::from_ne_bytes([byte; 8]);
    let mut at = 0;
    while at + 8 <= hay.len() {
        let x = u64::from_ne_bytes(hay[at..at + 8].try_into().unwrap());
        if has_zero_byte(x ^ want) {
            break;
        }
        at += 8;
    }
    hay[at..].iter().position(|&b| b == byte).map(|i| i + at)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return false;
    };
    let mut from = 0;
    while let Some(i) = find_byte(&hay[from..], first) {
        let start = from + i + 1;
        match hay.get(start..start + rest.len()) {
            Some(w) if w == rest => return true,
            Some(_) => from = start,
            None => return false,
        }
    }
    false
}

/// `<pid>/<name>\0` in `path`.
fn pid_path<'a>(path: &'a mut [u8; 32], pid: &[u8], name: &[u8]) -> &'a [u8] {
    path[..pid.len()].copy_from_slice(pid);
    path[pid.len()..pid.len() + name.len()].copy_from_slice(name);
    path[pid.len() + name.len()] = 0;
    &path[..=pid.len() + name.len()]
}

/// Opens `path` under `/proc`, reads once into `buf`, closes: the bytes read.
fn read_once(dir: libc::c_int, path: &[u8], buf: &mut [u8]) -> usize {
    // SAFETY: `path` is NUL-terminated; `buf` is valid for its length; the fd is closed.
    unsafe {
        let fd = libc::openat(dir, path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return 0;
        }
        let n = libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
        libc::close(fd);
        n.max(0) as usize
    }
}

impl Floor {
    fn open(pattern: &[u8]) -> Floor {
        // SAFETY: a NUL-terminated literal.
        let proc_fd = unsafe {
            libc::open(
                c"/proc".as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        assert!(proc_fd >= 0, "cannot open /proc");
        Floor {
            proc_fd,
            dir: Box::new([0; DIR_BUF]),
            buf: Box::new([0; CMDLINE_BUF]),
            pattern: pattern.to_vec(),
        }
    }

    /// One scan: (pids, matches).
    fn scan(&mut self) -> (u32, u32) {
        let (mut pids, mut matches) = (0, 0);
        let mut path = [0u8; 32];
        let mut stat = [0u8; STAT_BUF];
        // SAFETY: rewinds our own fd.
        unsafe { libc::lseek(self.proc_fd, 0, libc::SEEK_SET) };
        loop {
            // SAFETY: the kernel writes at most DIR_BUF bytes of records into `dir`.
            let n = unsafe {
                libc::syscall(
                    libc::SYS_getdents64,
                    self.proc_fd,
                    self.dir.as_mut_ptr(),
                    DIR_BUF,
                )
            };
            if n <= 0 {
                break;
            }
            let mut at = 0;
            while at < n as usize {
                // struct linux_dirent64: ino u64, off i64, reclen u16, type u8, name.
                let reclen = u16::from_ne_bytes([self.dir[at + 16], self.dir[at + 17]]) as usize;
                let rec = &self.dir[at..at + reclen];
                at += reclen;
                let name = &rec[19..];
                let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
                if !name.first().is_some_and(u8::is_ascii_digit) {
                    continue;
                }
                pids += 1;
                let len = read_once(
                    self.proc_fd,
                    pid_path(&mut path, name, b"/cmdline"),
                    &mut self.buf[..],
                );
                let cmd = &mut self.buf[..len];
                for b in cmd.iter_mut() {
                    if *b == 0 {
                        *b = b' ';
                    }
                }
                if contains(cmd, &self.pattern) {
                    matches += 1;
                    read_once(self.proc_fd, pid_path(&mut path, name, b"/stat"), &mut stat);
                }
            }
        }
        (pids, matches)
    }
}

/// CPU seconds (user + system) this process has used.
fn cpu_s() -> f64 {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let u = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let (mut serve, mut every_ms, mut scans) = (false, None, 1u64);
    let mut pattern = String::from("pytest");
    while let Some(a) = args.next() {
        match a.as_str() {
            "--serve" => serve = true,
            "--every-ms" => every_ms = args.next().and_then(|v| v.parse::<u64>().ok()),
            "--scans" => scans = args.next().and_then(|v| v.parse().ok()).unwrap_or(1),
            _ => pattern = a,
        }
    }
    let mut floor = Floor::open(pattern.as_bytes());
    let mut out = std::io::stdout().lock();
    if serve {
        for line in std::io::stdin().lock().lines() {
            if line.is_err() {
                break;
            }
            let t = std::time::Instant::now();
            let (pids, matches) = floor.scan();
            let ns = t.elapsed().as_nanos();
            if writeln!(out, "{ns} {pids} {matches}")
                .and_then(|()| out.flush())
                .is_err()
            {
                break;
            }
        }
    } else if let Some(ms) = every_ms {
        let before = cpu_s();
        let mut pids = 0;
        for i in 0..scans {
            if i > 0 {
                std::thread::sleep(std::time::Duration::from_millis(ms));
            }
            pids = floor.scan().0;
        }
        let cpu = cpu_s() - before;
        let _ = writeln!(out, "floor: {scans} scans of {pids} pids, one every {ms} ms, used {cpu:.4} s of CPU ({:.3} ms per scan)", cpu * 1e3 / scans as f64);
    } else {
        let (pids, matches) = floor.scan();
        let _ = writeln!(out, "{pids} {matches}");
    }
}
