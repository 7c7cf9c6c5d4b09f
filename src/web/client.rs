//! Who is asking: the client's address and whether the request came over
//! https, believing forwarding headers only from trusted proxies.

use actix_web::web;

use crate::app::state::AppState;

/// The client's address, as the audit log, throttling and the session list
/// record it: the connection's, unless that is a trusted proxy
/// (`KEYWARD_TRUSTED_PROXIES`), whose forwarding headers then say.
pub fn client_ip(req: &actix_web::HttpRequest) -> Option<String> {
    let peer = req.peer_addr()?.ip();
    let Some(trusted) = req
        .app_data::<web::Data<AppState>>()
        .map(|s| &s.config.trusted_proxies)
        .filter(|t| t.trusts(peer))
    else {
        return Some(peer.to_string());
    };
    let values = |name: &str| -> Vec<String> {
        req.headers()
            .get_all(name)
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    };
    let mut chain = values("x-forwarded-for");
    if chain.is_empty() {
        chain = crate::util::net::forwarded_for_values(&values("forwarded"));
    }
    Some(trusted.client_address(peer, &chain).to_string())
}

/// Whether the request reached Keyward over https: the issuer says so, or a
/// trusted proxy's `X-Forwarded-Proto` does.
pub fn is_https(req: &actix_web::HttpRequest, issuer_https: bool) -> bool {
    issuer_https
        || req.peer_addr().is_some_and(|peer| {
            req.app_data::<web::Data<AppState>>().is_some_and(|s| {
                s.config.trusted_proxies.forwarded_https(
                    peer.ip(),
                    req.headers()
                        .get("x-forwarded-proto")
                        .and_then(|v| v.to_str().ok()),
                )
            })
        })
}
