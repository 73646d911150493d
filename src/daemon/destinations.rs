//! Where alerts go: a courier per webhook (its endpoint, proxy and trusted roots set up
//! once), stdout, or nowhere when only metrics are wanted.

use std::sync::Arc;

use crate::config::Config;
use crate::deliver::courier::{Courier, RenderSettings};
use crate::deliver::Target;
use crate::log;

/// The couriers and how logs name their destinations.
pub(super) struct Destinations {
    pub couriers: Vec<Courier>,
    /// Masked, for every delivery line.
    pub names: Vec<String>,
    /// With the proxy each one goes through, for the start-up summary.
    pub routes: Vec<String>,
    /// The TCP ports they are reached on (a proxy's, when there is one; 53 for DNS over
    /// TCP when a host is a name); `None`: no network.
    pub ports: Option<Vec<u16>>,
}

/// The destinations `cfg` names: the webhooks; stdout when none is set (or on a dry run);
/// none when only metrics are wanted (a textfile and no webhook).
pub(super) fn destinations(
    cfg: &Config,
    settings: &Arc<RenderSettings>,
) -> Result<Destinations, u8> {
    if cfg.webhook_urls.is_empty() && cfg.textfile.is_some() && !cfg.dry_run {
        // Fleets that alert from Prometheus: metrics only, no alert on stdout.
        let why = "nowhere (metrics only: WATCHDOG_TEXTFILE and no WATCHDOG_WEBHOOK_URL)";
        return Ok(Destinations {
            couriers: Vec::new(),
            names: Vec::new(),
            routes: vec![why.to_owned()],
            ports: None,
        });
    }
    if cfg.dry_run || cfg.webhook_urls.is_empty() {
        let name = if cfg.dry_run {
            "stdout (dry run: nothing is sent)"
        } else {
            "stdout (no WATCHDOG_WEBHOOK_URL)"
        };
        let courier = Courier::new(0, Target::Stdout, name.to_owned(), Arc::clone(settings));
        return Ok(Destinations {
            couriers: vec![courier],
            names: vec![name.to_owned()],
            routes: vec![name.to_owned()],
            ports: None,
        });
    }
    webhooks(cfg, settings)
}

/// A courier per webhook URL. Proxies are read from the environment as curl reads them;
/// a CA file is loaded once for all.
fn webhooks(cfg: &Config, settings: &Arc<RenderSettings>) -> Result<Destinations, u8> {
    #[cfg(feature = "https")]
    let tls = trusted_roots(cfg)?;
    let mut d = Destinations {
        couriers: Vec::new(),
        names: Vec::new(),
        routes: Vec::new(),
        ports: Some(Vec::new()),
    };
    warn_unusable_no_proxy();
    for (i, url) in cfg.webhook_urls.iter().enumerate() {
        let masking = cfg.format.masking();
        let name = crate::deliver::url::masked(url, masking);
        let endpoint = crate::deliver::endpoint(
            url,
            cfg.timeout_s,
            masking,
            |var: &str| std::env::var_os(var),
            #[cfg(feature = "https")]
            tls.clone(),
        )
        .map_err(|e| {
            log!("cannot deliver to {name}: {e}");
            2
        })?;
        let route = match endpoint.proxy() {
            Some(proxy) => format!("{name} (through proxy {proxy})"),
            None => format!("{name} (direct)"),
        };
        if let Some(ports) = d.ports.as_mut() {
            ports.extend(crate::deliver::send::ports_of(&endpoint));
        }
        let target = Target::Webhook(endpoint);
        d.couriers
            .push(Courier::new(i, target, name.clone(), Arc::clone(settings)));
        d.names.push(name);
        d.routes.push(route);
    }
    Ok(d)
}

/// Warns of each `no_proxy` entry that can never match (curl ignores them too); the rest
/// of the list applies. An entry is shown when it looks like a host or range, else masked
/// (it may hold credentials). A list that is not UTF-8 is left to the endpoint's error.
fn warn_unusable_no_proxy() {
    let Ok(Some((var, list))) =
        crate::deliver::net::proxy::no_proxy(&|var: &str| std::env::var_os(var))
    else {
        return;
    };
    for entry in crate::deliver::net::proxy::unusable_no_proxy_entries(&list) {
        let host_like = entry.len() <= crate::deliver::url::MASK_UNPARSED_MAX
            && entry
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:*/[]".contains(&b));
        let shown = if host_like {
            entry.to_owned()
        } else {
            crate::deliver::url::masked(entry, crate::deliver::url::Masking::Chat)
        };
        log!(
            "warning: ignoring the {var} entry {shown:?}: expected a name (example.com, .example.com), an IP address, a range (10.0.0.0/8, fd00::/8) or *; the rest of {var} applies"
        );
    }
}

/// The bundled roots and, when set, the private CA file's certificates.
#[cfg(feature = "https")]
fn trusted_roots(cfg: &Config) -> Result<Option<crate::deliver::net::tls::TlsConfig>, u8> {
    let Some(path) = &cfg.ca_file else {
        return Ok(None);
    };
    crate::deliver::net::tls::TlsConfig::new(Some(path))
        .map(Some)
        .map_err(|e| {
            log!(
                "cannot use WATCHDOG_WEBHOOK_CA_FILE {}: {e}",
                path.display()
            );
            2
        })
}
