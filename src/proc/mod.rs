//! What `/proc` says. Bytes come in through [`sys`] (rustix, fixed buffers, the one layer
//! here that makes system calls), [`parse`] reads them without copying, [`scan`] walks the
//! pids into the records of [`found`]; [`lineage`] completes each match with its launcher,
//! [`usage`] turns two scans into rates and tree totals, and [`report`] lays a scan out
//! for people (`lingerwatch scan`).

tick_path_modules!(found, parse, lineage, usage, report);
tick_path_modules!(#[cfg(not(target_os = "none"))] sys, scan);
