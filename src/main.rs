//! The `lingerwatch` command: read the configuration, run what it asks, map the outcome to
//! an exit code (0 fine, 1 something over the threshold, 2 bad configuration or `/proc`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let config =
        match lingerwatch::config::load(|k| std::env::var_os(k), std::env::args_os().skip(1)) {
            Ok(config) => config,
            Err(e) => {
                lingerwatch::log!("{e}");
                return ExitCode::from(2);
            }
        };
    for name in lingerwatch::config::unknown_settings(std::env::vars_os().map(|(k, _)| k)) {
        lingerwatch::log!(
            "warning: ignoring {name}: no such setting (lingerwatch --help lists them)"
        );
    }
    ExitCode::from(lingerwatch::app::run(&config))
}
