//! The forbidden things `lingerwatch __sandbox-probe WHAT` tries after locking itself in,
//! so the tests prove the sandbox (Firecracker tests its seccomp filters the same way):
//! each returns what happened, or the process dies of SIGSYS where the call is on
//! seccomp's kill list. `unlisted` makes a harmless call that is on no list (`sysinfo`):
//! it fails with `EPERM` and the process lives. With the sandbox off, each succeeds (as root), which shows that the refusal is
//! the sandbox's, not the environment's.
#![allow(unsafe_code)] // execve, ptrace, kill and sysinfo, called raw: those exact calls are tested

use std::io::{Read, Write};

fn outcome<T>(r: std::io::Result<T>) -> String {
    match r {
        Ok(_) => "ok".to_owned(),
        Err(e) => format!("error: {e}"),
    }
}

fn raw(rc: libc::c_long) -> String {
    if rc < 0 {
        format!("error: {}", std::io::Error::last_os_error())
    } else {
        "ok".to_owned()
    }
}

/// Tries `what`; "ok" or "error: …".
pub fn attempt(what: &str) -> String {
    let (verb, arg) = what.split_once(' ').unwrap_or((what, ""));
    match verb {
        "read" => outcome(std::fs::File::open(arg).and_then(|mut f| {
            let mut buf = [0u8; 64];
            f.read(&mut buf)
        })),
        "write" => outcome(std::fs::File::create(arg).and_then(|mut f| f.write_all(b"x"))),
        "connect" => outcome(std::net::TcpStream::connect((
            "127.0.0.1",
            arg.parse().unwrap_or(0),
        ))),
        "bind" => outcome(std::net::TcpListener::bind("127.0.0.1:0")),
        // SAFETY: the arguments are valid NUL-terminated strings and null-terminated
        // arrays; execve only returns on failure.
        "exec" => raw(unsafe {
            let path = c"/bin/true".as_ptr();
            let argv = [path, core::ptr::null()];
            let envp = [core::ptr::null()];
            libc::execve(path, argv.as_ptr(), envp.as_ptr()) as libc::c_long
        }),
        // SAFETY: the path is a NUL-terminated copy that outlives the call.
        "truncate" => match std::ffi::CString::new(arg) {
            Ok(path) => raw(unsafe { libc::truncate(path.as_ptr(), 0) } as libc::c_long),
            Err(_) => "error: a NUL in the path".to_owned(),
        },
        // Read-only, with O_TRUNC: the kernel truncates a file the uid may write, and
        // Landlock's check for it is its truncate right, not its write right.
        // SAFETY: the path is a NUL-terminated copy that outlives the call; the fd is
        // closed.
        "open-trunc" => match std::ffi::CString::new(arg) {
            Ok(path) => raw(unsafe {
                let fd = libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_TRUNC | libc::O_CLOEXEC);
                if fd >= 0 {
                    libc::close(fd);
                }
                fd as libc::c_long
            }),
            Err(_) => "error: a NUL in the path".to_owned(),
        },
        // SAFETY: PTRACE_TRACEME takes no pointers.
        "ptrace" => raw(unsafe { libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) }),
        // SAFETY: signal 0 only checks that pid 1 exists and may be signalled.
        "kill" => raw(unsafe { libc::kill(1, 0) } as libc::c_long),
        // SAFETY: `info` is a sysinfo struct the call fills in.
        "unlisted" => raw(unsafe {
            let mut info: libc::sysinfo = core::mem::zeroed();
            libc::syscall(libc::SYS_sysinfo, &mut info)
        }),
        _ => "error: unknown probe (read PATH, write PATH, truncate PATH, open-trunc PATH, connect PORT, bind, exec, ptrace, kill, unlisted)"
            .to_owned(),
    }
}
