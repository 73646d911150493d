//! The procfs crate's way to find processes by argv, as a whole process: every process
//! from `all_processes()`, its `cmdline()` joined with spaces and searched for the
//! pattern, and for a match its `stat()`, as the floor and lingerwatch read. Prints
//! `pids matches`.
//!
//! Usage: `lingerwatch-procfs-peer [PATTERN]` (default `pytest`).

fn main() {
    let pattern = std::env::args().nth(1).unwrap_or_else(|| "pytest".to_owned());
    let Ok(all) = procfs::process::all_processes() else {
        eprintln!("cannot list /proc");
        std::process::exit(2);
    };
    let (mut pids, mut matches) = (0u32, 0u32);
    for process in all.flatten() {
        pids += 1;
        let Ok(argv) = process.cmdline() else {
            continue;
        };
        if argv.join(" ").contains(&pattern) {
            matches += 1;
            let _ = process.stat();
        }
    }
    println!("{pids} {matches}");
}
