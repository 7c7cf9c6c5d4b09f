//! The server-wide settings admins change after setup: the organisation name,
//! the issuer and the default token lifetimes. One set of rules for the admin
//! pages, the admin API and the CLI. Blocking: call it off the async workers.

use diesel::Connection;

use crate::db::DbConn;
use crate::idm::clients::{ACCESS_TTL_RANGE, REFRESH_TTL_RANGE};
use crate::idm::setup::{self, SetupError};
use crate::oidc::discovery;
use crate::store::{audit, settings};

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A value is not acceptable; `field` names the form field.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
}

/// The settings as stored (lifetimes with the built-in defaults filled in).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SiteSettings {
    pub org_name: String,
    pub issuer: Option<String>,
    pub default_access_token_ttl: i64,
    pub default_refresh_token_ttl: i64,
}

pub fn load(conn: &mut DbConn) -> diesel::QueryResult<SiteSettings> {
    let lifetimes = discovery::lifetimes(conn)?;
    Ok(SiteSettings {
        org_name: settings::get(conn, settings::ORG_NAME)?.unwrap_or_default(),
        issuer: settings::get(conn, settings::ISSUER)?,
        default_access_token_ttl: lifetimes.access,
        default_refresh_token_ttl: lifetimes.refresh,
    })
}

/// A change, as typed. `issuer: None` leaves the stored issuer alone (as when
/// the environment fixes it).
#[derive(Debug, Clone, Default)]
pub struct Changes<'a> {
    pub org_name: &'a str,
    pub issuer: Option<&'a str>,
    pub default_access_token_ttl: i64,
    pub default_refresh_token_ttl: i64,
}

fn invalid(field: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        field,
        message: message.into(),
    }
}

fn from_setup(e: SetupError) -> SettingsError {
    match e {
        SetupError::Invalid { field, message } => SettingsError::Invalid { field, message },
        SetupError::Db(e) => SettingsError::Db(e),
        other => invalid("settings", other.to_string()),
    }
}

/// Checks and stores the settings in one transaction with its audit event;
/// bumps the metadata version so every instance republishes.
pub fn save(
    conn: &mut DbConn,
    changes: &Changes,
    actor: &audit::Actor,
) -> Result<SiteSettings, SettingsError> {
    setup::check_org_name(changes.org_name).map_err(from_setup)?;
    let issuer = changes
        .issuer
        .map(setup::check_issuer)
        .transpose()
        .map_err(from_setup)?;
    if !ACCESS_TTL_RANGE.contains(&changes.default_access_token_ttl) {
        return Err(invalid(
            "default_access_token_ttl",
            "Give 60 seconds to 1 day (86400).",
        ));
    }
    if !REFRESH_TTL_RANGE.contains(&changes.default_refresh_token_ttl) {
        return Err(invalid(
            "default_refresh_token_ttl",
            "Give 60 seconds to 366 days (31622400).",
        ));
    }
    conn.transaction(|c| {
        let before = load(c)?;
        settings::set(c, settings::ORG_NAME, changes.org_name.trim())?;
        if let Some(i) = issuer.as_deref() {
            settings::set(c, settings::ISSUER, i)?;
        }
        settings::set(
            c,
            settings::DEFAULT_ACCESS_TTL,
            &changes.default_access_token_ttl.to_string(),
        )?;
        settings::set(
            c,
            settings::DEFAULT_REFRESH_TTL,
            &changes.default_refresh_token_ttl.to_string(),
        )?;
        settings::increment(c, settings::METADATA_VERSION)?;
        let after = load(c)?;
        let mut changed = serde_json::Map::new();
        for (key, old, new) in [
            (
                "org_name",
                serde_json::json!(before.org_name),
                serde_json::json!(after.org_name),
            ),
            (
                "issuer",
                serde_json::json!(before.issuer),
                serde_json::json!(after.issuer),
            ),
            (
                "default_access_token_ttl",
                before.default_access_token_ttl.into(),
                after.default_access_token_ttl.into(),
            ),
            (
                "default_refresh_token_ttl",
                before.default_refresh_token_ttl.into(),
                after.default_refresh_token_ttl.into(),
            ),
        ] {
            if old != new {
                changed.insert(key.into(), serde_json::json!({ "from": old, "to": new }));
            }
        }
        audit::record(
            c,
            &audit::NewAuditEvent::new("settings.update", true)
                .by(actor)
                .target("settings")
                .detail(serde_json::Value::Object(changed)),
        )?;
        Ok(after)
    })
}
