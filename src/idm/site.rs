//! The server-wide settings admins change after setup: the organisation name,
//! the issuer and the default token lifetimes. One set of rules for the admin
//! pages, the admin API and the CLI. Blocking: call it off the async workers.

use crate::db::DbConn;
use crate::idm::clients::{ACCESS_TTL_RANGE, REFRESH_TTL_RANGE};
use crate::idm::setup::{self, SetupError};
use crate::store::{audit, settings};

/// Built-in defaults when neither a client's policy nor the settings name a
/// lifetime.
pub const DEFAULT_ACCESS_TTL: i64 = 3600;
pub const DEFAULT_REFRESH_TTL: i64 = 30 * 86_400;

/// Token lifetimes in seconds, used when a client's policy names none. Admins
/// set them on the settings page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    pub access: i64,
    pub refresh: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            access: DEFAULT_ACCESS_TTL,
            refresh: DEFAULT_REFRESH_TTL,
        }
    }
}

/// The default lifetimes the settings hold (built-in ones where unset).
pub fn lifetimes(conn: &mut DbConn) -> diesel::QueryResult<Lifetimes> {
    let read = |c: &mut DbConn, key: &str, default: i64| -> diesel::QueryResult<i64> {
        Ok(settings::get(c, key)?
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|v| *v > 0)
            .unwrap_or(default))
    };
    let builtin = Lifetimes::default();
    Ok(Lifetimes {
        access: read(conn, settings::DEFAULT_ACCESS_TTL, builtin.access)?,
        refresh: read(conn, settings::DEFAULT_REFRESH_TTL, builtin.refresh)?,
    })
}

/// How long sessions last, in seconds. Admins set them on the settings page;
/// a change applies to sessions that start after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SessionPolicy {
    /// Inactivity that ends a session (not one kept with "Keep me signed in").
    pub idle_timeout: i64,
    /// The absolute end of a session that ends with the browser.
    pub lifetime: i64,
    /// The absolute end of a session kept with "Keep me signed in".
    pub remember_lifetime: i64,
}

pub const SESSION_IDLE_RANGE: std::ops::RangeInclusive<i64> = 300..=7 * 86_400;
pub const SESSION_LIFETIME_RANGE: std::ops::RangeInclusive<i64> = 3_600..=7 * 86_400;
pub const SESSION_REMEMBER_RANGE: std::ops::RangeInclusive<i64> = 86_400..=366 * 86_400;
pub const AUDIT_RETENTION_RANGE: std::ops::RangeInclusive<i64> = 1..=3_650;
pub const DEFAULT_AUDIT_RETENTION_DAYS: i64 = 180;

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle_timeout: 8 * 3_600,
            lifetime: 24 * 3_600,
            remember_lifetime: 30 * 86_400,
        }
    }
}

fn read_number(
    conn: &mut DbConn,
    key: &str,
    range: &std::ops::RangeInclusive<i64>,
    default: i64,
) -> diesel::QueryResult<i64> {
    Ok(settings::get(conn, key)?
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| range.contains(v))
        .unwrap_or(default))
}

pub fn session_policy(conn: &mut DbConn) -> diesel::QueryResult<SessionPolicy> {
    let d = SessionPolicy::default();
    Ok(SessionPolicy {
        idle_timeout: read_number(
            conn,
            settings::SESSION_IDLE_TIMEOUT,
            &SESSION_IDLE_RANGE,
            d.idle_timeout,
        )?,
        lifetime: read_number(
            conn,
            settings::SESSION_LIFETIME,
            &SESSION_LIFETIME_RANGE,
            d.lifetime,
        )?,
        remember_lifetime: read_number(
            conn,
            settings::SESSION_REMEMBER_LIFETIME,
            &SESSION_REMEMBER_RANGE,
            d.remember_lifetime,
        )?,
    })
}

pub fn audit_retention_days(conn: &mut DbConn) -> diesel::QueryResult<i64> {
    read_number(
        conn,
        settings::AUDIT_RETENTION_DAYS,
        &AUDIT_RETENTION_RANGE,
        DEFAULT_AUDIT_RETENTION_DAYS,
    )
}

/// The issuer in force: the environment's, else the one setup stored.
pub fn issuer(conn: &mut DbConn, configured: Option<&str>) -> diesel::QueryResult<Option<String>> {
    match configured {
        Some(i) => Ok(Some(i.to_owned())),
        None => settings::get(conn, settings::ISSUER),
    }
}

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

impl crate::db::Contention for SettingsError {
    fn is_contention(&self) -> bool {
        matches!(self, SettingsError::Db(e) if crate::db::is_contention(e))
    }
}

/// The settings as stored (lifetimes with the built-in defaults filled in).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SiteSettings {
    pub org_name: String,
    pub issuer: Option<String>,
    pub default_access_token_ttl: i64,
    pub default_refresh_token_ttl: i64,
    pub session_idle_timeout: i64,
    pub session_lifetime: i64,
    pub session_remember_lifetime: i64,
    pub audit_retention_days: i64,
}

pub fn load(conn: &mut DbConn) -> diesel::QueryResult<SiteSettings> {
    let lifetimes = lifetimes(conn)?;
    let sessions = session_policy(conn)?;
    Ok(SiteSettings {
        org_name: settings::get(conn, settings::ORG_NAME)?.unwrap_or_default(),
        issuer: settings::get(conn, settings::ISSUER)?,
        default_access_token_ttl: lifetimes.access,
        default_refresh_token_ttl: lifetimes.refresh,
        session_idle_timeout: sessions.idle_timeout,
        session_lifetime: sessions.lifetime,
        session_remember_lifetime: sessions.remember_lifetime,
        audit_retention_days: audit_retention_days(conn)?,
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
    /// `None` leaves the stored value alone.
    pub session_idle_timeout: Option<i64>,
    pub session_lifetime: Option<i64>,
    pub session_remember_lifetime: Option<i64>,
    pub audit_retention_days: Option<i64>,
}

/// (form field, settings key, new value, allowed range, message when outside).
type OptionalNumber<'a> = (
    &'static str,
    &'static str,
    Option<i64>,
    &'a std::ops::RangeInclusive<i64>,
    &'static str,
);

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
#[tracing::instrument(skip_all, fields(actor = %actor.id))]
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
    let optional: [OptionalNumber; 4] = [
        (
            "session_idle_timeout",
            settings::SESSION_IDLE_TIMEOUT,
            changes.session_idle_timeout,
            &SESSION_IDLE_RANGE,
            "Give 300 seconds (5 minutes) to 604800 (7 days).",
        ),
        (
            "session_lifetime",
            settings::SESSION_LIFETIME,
            changes.session_lifetime,
            &SESSION_LIFETIME_RANGE,
            "Give 3600 seconds (1 hour) to 604800 (7 days).",
        ),
        (
            "session_remember_lifetime",
            settings::SESSION_REMEMBER_LIFETIME,
            changes.session_remember_lifetime,
            &SESSION_REMEMBER_RANGE,
            "Give 86400 seconds (1 day) to 31622400 (366 days).",
        ),
        (
            "audit_retention_days",
            settings::AUDIT_RETENTION_DAYS,
            changes.audit_retention_days,
            &AUDIT_RETENTION_RANGE,
            "Give 1 to 3650 days.",
        ),
    ];
    for (field, _, value, range, message) in &optional {
        if value.is_some_and(|v| !range.contains(&v)) {
            return Err(invalid(field, *message));
        }
    }
    crate::db::transaction(conn, |c| {
        let before = load(c)?;
        for (_, key, value, _, _) in &optional {
            if let Some(v) = value {
                settings::set(c, key, &v.to_string())?;
            }
        }
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
            (
                "session_idle_timeout",
                before.session_idle_timeout.into(),
                after.session_idle_timeout.into(),
            ),
            (
                "session_lifetime",
                before.session_lifetime.into(),
                after.session_lifetime.into(),
            ),
            (
                "session_remember_lifetime",
                before.session_remember_lifetime.into(),
                after.session_remember_lifetime.into(),
            ),
            (
                "audit_retention_days",
                before.audit_retention_days.into(),
                after.audit_retention_days.into(),
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
