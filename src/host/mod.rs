//! Lingerwatch's own life on the host: its log lines ([`log`]), the heartbeat that
//! `lingerwatch health` reads ([`heartbeat`]), the metrics textfile for node_exporter
//! ([`metrics`]), its memory limit ([`memory`]), the signals it obeys ([`signals`]) and
//! the sandbox it locks itself in after start-up ([`sandbox`]).

pub mod log;
tick_path_modules!(heartbeat, memory, metrics);
pub mod sandbox;
pub mod signals;
pub mod terminate;
