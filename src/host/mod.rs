//! Lingerwatch's own life on the host: its log lines ([`log`]), the heartbeat that
//! `lingerwatch health` reads ([`heartbeat`]), the metrics textfile for node_exporter
//! ([`metrics`]), its memory limit ([`memory`]), the signals it obeys ([`signals`]) and
//! the sandbox it locks itself in after start-up ([`sandbox`]); and, only when asked,
//! the signals it sends to lingering orphans ([`terminate`]).

tick_path_modules!(heartbeat, metrics);
tick_path_modules!(
    #[cfg(not(target_os = "none"))]
    memory,
    terminate
);
#[cfg(not(target_os = "none"))]
pub mod log;
#[cfg(not(target_os = "none"))]
pub mod sandbox;
#[cfg(not(target_os = "none"))]
pub mod signals;
