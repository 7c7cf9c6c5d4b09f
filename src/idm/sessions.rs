//! A person's sessions as they and their admins see them: where they are
//! signed in, from what, since when; ending one. Blocking.

use crate::db::DbConn;
use crate::store::sessions::{self, SessionRow};
use crate::store::{audit, types::UserId};

/// One session, for a list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionView {
    pub id: String,
    /// The session this list is shown in.
    pub current: bool,
    /// "Firefox on Linux", from the user agent.
    pub device: String,
    pub address: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// Kept with "Keep me signed in".
    pub persistent: bool,
    /// How the person signed in (RFC 8176 values).
    pub methods: Vec<String>,
}

impl SessionView {
    fn of(row: SessionRow, current: Option<&str>) -> Self {
        SessionView {
            current: current == Some(row.id.as_str()),
            device: describe_device(row.user_agent.as_deref()),
            methods: row
                .amr
                .as_deref()
                .and_then(|a| serde_json::from_str(a).ok())
                .unwrap_or_default(),
            id: row.id,
            address: row.address,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            expires_at: row.expires_at,
            persistent: row.persistent,
        }
    }
}

/// A short, readable name for a user agent: browser and system.
pub fn describe_device(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.filter(|u| !u.trim().is_empty()) else {
        return "Unknown device".into();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
        ("reqwest", "a script"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => format!("A browser on {s}"),
        (None, None) => ua.chars().take(60).collect(),
    }
}

/// The user's live sessions, most recently used first; `current` marks the
/// one the list is shown in.
pub fn list(
    conn: &mut DbConn,
    user_id: &UserId,
    current: Option<&str>,
    now: i64,
) -> diesel::QueryResult<Vec<SessionView>> {
    Ok(sessions::list_for_user(conn, user_id, now)?
        .into_iter()
        .map(|r| SessionView::of(r, current))
        .collect())
}

/// Ends one of the user's sessions; false when it is not theirs or is gone.
#[tracing::instrument(skip_all, fields(actor = %actor.id))]
pub fn end(
    conn: &mut DbConn,
    user_id: &UserId,
    session_id: &str,
    actor: &audit::Actor,
) -> diesel::QueryResult<bool> {
    crate::db::durably(conn, |conn| {
        crate::db::transaction(conn, |c| {
            let ended = sessions::delete_for_user(c, user_id, session_id)?;
            if ended {
                audit::record(
                    c,
                    &audit::NewAuditEvent::new("session.end", true)
                        .by(actor)
                        .target(user_id.to_string())
                        .detail(serde_json::json!({ "session": session_id })),
                )?;
            }
            Ok(ended)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::describe_device;

    #[test]
    fn devices_read_as_browser_and_system() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(describe_device(Some(firefox)), "Firefox on Linux");
        let chrome_android = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
        assert_eq!(describe_device(Some(chrome_android)), "Chrome on Android");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(describe_device(Some(safari)), "Safari on iPhone");
        assert_eq!(describe_device(None), "Unknown device");
    }
}
