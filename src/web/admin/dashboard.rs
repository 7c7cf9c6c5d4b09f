//! `/admin`: the dashboard, with counts, the latest events, the discovery URL
//! and warnings worth acting on.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::AdminUser;
use crate::app::state::AppState;
use crate::db::DbError;
use crate::idm::throttle;
use crate::oidc::discovery;
use crate::store::types::KeyStatus;
use crate::store::{self, audit, keys};
use crate::util::time;
use crate::web::page;
use crate::web::PageError;

/// A signing key older than this earns a dashboard warning.
pub const KEY_ROTATION_DAYS: i64 = 90;
/// How many audit events the dashboard shows.
const LATEST_EVENTS: i64 = 10;

/// What the dashboard shows, read in one unit of work.
struct Overview {
    users: i64,
    clients: i64,
    active_tokens: i64,
    logins_24h: i64,
    failed_logins_24h: i64,
    events: Vec<audit::AuditEvent>,
    /// Usernames of the events' actors, by user id.
    names: std::collections::HashMap<String, String>,
    keys: Vec<keys::SigningKey>,
}

pub async fn dashboard(
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let now = store::now();
    let o = state
        .db
        .run(move |c| -> Result<Overview, DbError> {
            let day_ago = now - 86_400;
            let events = audit::list(
                c,
                &audit::Filter {
                    action_prefix: None,
                    actor: None,
                    before: None,
                    limit: LATEST_EVENTS,
                },
            )?;
            let names = actor_names(c, &events)?;
            Ok(Overview {
                users: store::users::count(c)?,
                clients: store::clients::count(c)?,
                active_tokens: store::tokens::count_active(c, now)?,
                logins_24h: audit::count_since(c, throttle::LOGIN_ACTION, "success", day_ago)?,
                failed_logins_24h: audit::count_since(
                    c,
                    throttle::LOGIN_ACTION,
                    "failure",
                    day_ago,
                )?,
                events,
                names,
                keys: keys::list(c)?,
            })
        })
        .await?;
    let snapshot = state.published.snapshot();
    let issuer = snapshot.issuer.clone();
    let mut ctx = page::context(&state, &session, Some(&admin));
    ctx.insert(
        "counts",
        &json!({
            "users": o.users,
            "clients": o.clients,
            "active_tokens": o.active_tokens,
            "logins_24h": o.logins_24h,
            "failed_logins_24h": o.failed_logins_24h,
        }),
    );
    ctx.insert(
        "discovery_url",
        &issuer
            .as_deref()
            .map(|i| discovery::endpoint(i, "/.well-known/openid-configuration")),
    );
    let mut warnings = warnings(issuer.as_deref(), &o.keys, now);
    if state.config.key_encryption_key.is_none() {
        warnings.push(
            "Signing keys and the session-cookie key are stored in plain text in the database: \
             anyone with a copy of it can sign tokens. Set KEYWARD_KEY_ENCRYPTION_KEY (32 random \
             bytes, hex or base64) and restart to store them encrypted."
                .into(),
        );
    }
    ctx.insert("warnings", &warnings);
    let events: Vec<_> = o
        .events
        .iter()
        .map(|e| {
            json!({
                "at": time::rfc3339(e.at),
                "actor": e.actor.as_ref().map(|a| o.names.get(a).unwrap_or(a)),
                "action": e.action,
                "target": e.target,
                "outcome": e.outcome,
                "ip": e.ip,
            })
        })
        .collect();
    ctx.insert("events", &events);
    page::render(&state, "admin/dashboard.html", &ctx)
}

/// The usernames of the users among the events' actors (others, such as
/// `client:ID` or `cli`, are shown as they are).
pub fn actor_names(
    conn: &mut crate::db::DbConn,
    events: &[audit::AuditEvent],
) -> diesel::QueryResult<std::collections::HashMap<String, String>> {
    let mut names = std::collections::HashMap::new();
    for actor in events.iter().filter_map(|e| e.actor.as_deref()) {
        if names.contains_key(actor) {
            continue;
        }
        if let Some(u) = store::users::find(conn, actor)? {
            names.insert(actor.to_owned(), u.username);
        }
    }
    Ok(names)
}

/// Things worth acting on, in plain words.
pub fn warnings(issuer: Option<&str>, signing_keys: &[keys::SigningKey], now: i64) -> Vec<String> {
    let mut out = Vec::new();
    let active: Vec<&keys::SigningKey> = signing_keys
        .iter()
        .filter(|k| k.status == KeyStatus::Active)
        .collect();
    if active.is_empty() {
        out.push(
            "There is no active signing key: no ID token or JWT can be issued. Rotate a key."
                .into(),
        );
    }
    for k in active {
        let days = (now - k.created_at) / 86_400;
        if days > KEY_ROTATION_DAYS {
            out.push(format!(
                "The {} signing key {} is {days} days old (rotate keys every {KEY_ROTATION_DAYS} days).",
                k.alg, k.kid
            ));
        }
    }
    match issuer {
        None => {
            out.push("No issuer is configured yet, so apps cannot discover this server.".into())
        }
        Some(i) if i.starts_with("http://") => out.push(format!(
            "The issuer {i} is plain http: fine on this machine, but apps elsewhere need https."
        )),
        Some(_) => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(status: KeyStatus, created_at: i64) -> keys::SigningKey {
        keys::SigningKey {
            kid: "k1".into(),
            alg: "RS256".into(),
            private_key: String::new(),
            encrypted: false,
            public_jwk: "{}".into(),
            status,
            created_at,
            retired_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn warns_about_old_or_missing_keys_and_plain_http() {
        let now = 1_000 * 86_400;
        assert!(warnings(
            Some("https://id.example"),
            &[key(KeyStatus::Active, now - 86_400)],
            now
        )
        .is_empty());
        let old = warnings(
            Some("https://id.example"),
            &[key(KeyStatus::Active, now - 91 * 86_400)],
            now,
        );
        assert_eq!(old.len(), 1);
        assert!(old[0].contains("91 days old"), "{old:?}");
        let none = warnings(
            Some("https://id.example"),
            &[key(KeyStatus::Retired, now)],
            now,
        );
        assert!(none[0].contains("no active signing key"));
        let http = warnings(
            Some("http://127.0.0.1:8080"),
            &[key(KeyStatus::Active, now)],
            now,
        );
        assert!(http[0].contains("plain http"));
        assert!(warnings(None, &[key(KeyStatus::Active, now)], now)[0].contains("No issuer"));
    }
}
