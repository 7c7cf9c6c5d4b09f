//! The audit log: who did what, when, from where, with what outcome.

use diesel::prelude::*;

use super::now;
use crate::db::schema::audit_events as audit;
use crate::db::DbConn;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = audit)]
pub struct AuditEvent {
    pub id: i64,
    pub at: i64,
    pub actor: Option<String>,
    pub action: String,
    pub target: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    pub ip: Option<String>,
    /// JSON with further detail, never secrets.
    pub detail: Option<String>,
}

/// Who makes a change, for the audit log: a user id (or `cli`, `client:ID`,
/// `apikey:ID`) and the address the request came from, if it came over HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: String,
    pub ip: Option<String>,
}

impl Actor {
    pub fn new(id: impl Into<String>, ip: Option<String>) -> Self {
        Actor { id: id.into(), ip }
    }
    /// The command line on the server itself.
    pub fn cli() -> Self {
        Actor::new("cli", None)
    }
}

impl From<&str> for Actor {
    fn from(id: &str) -> Self {
        Actor::new(id, None)
    }
}

#[derive(Debug, Clone, Default, Insertable)]
#[diesel(table_name = audit)]
pub struct NewAuditEvent {
    pub at: i64,
    pub actor: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

impl NewAuditEvent {
    pub fn new(action: &str, success: bool) -> Self {
        NewAuditEvent {
            at: now(),
            action: action.to_owned(),
            outcome: if success { "success" } else { "failure" }.to_owned(),
            ..Default::default()
        }
    }
    pub fn actor(mut self, actor: impl Into<String>) -> Self {
        self.actor = Some(actor.into());
        self
    }
    /// Who did it and from where.
    pub fn by(mut self, actor: &Actor) -> Self {
        self.actor = Some(actor.id.clone());
        self.ip = actor.ip.clone();
        self
    }
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }
    pub fn ip(mut self, ip: Option<String>) -> Self {
        self.ip = ip;
        self
    }
    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail.to_string());
        self
    }
}

pub fn record(conn: &mut DbConn, event: &NewAuditEvent) -> QueryResult<()> {
    diesel::insert_into(audit::table)
        .values(event)
        .execute(conn)
        .map(|_| ())
}

/// How often anonymous noise reaches the audit log: once per address and
/// kind in this many seconds.
pub const NOISE_WINDOW_SECS: i64 = 60;

/// Records an event of unauthenticated noise (a refused anonymous API call, a
/// throttled sign-in) at most once a minute per address and kind. The entry
/// that opens a minute carries, as `repeats_not_logged`, how many more like it
/// came in the minute of the entry before. Returns whether it wrote one.
pub fn record_noise(conn: &mut DbConn, event: NewAuditEvent) -> QueryResult<bool> {
    let key = format!(
        "audit:{}:{}",
        event.action,
        event.ip.as_deref().unwrap_or("-")
    );
    let before = super::counters::get(conn, &key)?;
    let bumped = super::counters::bump(conn, &key, event.at, NOISE_WINDOW_SECS)?;
    if bumped.count != 1 {
        return Ok(false);
    }
    let repeats = before.map_or(0, |b| (b.count - 1).max(0));
    let mut detail = event
        .detail
        .as_deref()
        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .filter(serde_json::Value::is_object)
        .unwrap_or_else(|| serde_json::json!({}));
    detail["repeats_not_logged"] = repeats.into();
    record(
        conn,
        &NewAuditEvent {
            detail: Some(detail.to_string()),
            ..event
        },
    )?;
    Ok(true)
}

/// Deletes events older than `before`; returns how many.
pub fn purge(conn: &mut DbConn, before: i64) -> QueryResult<usize> {
    diesel::delete(audit::table.filter(audit::at.lt(before))).execute(conn)
}

/// Which events to list: an action prefix, an actor, and a page that starts
/// below the id `before` (newest first).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action_prefix: Option<String>,
    pub actor: Option<String>,
    pub before: Option<i64>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConn, filter: &Filter) -> QueryResult<Vec<AuditEvent>> {
    let mut query = audit::table.select(AuditEvent::as_select()).into_boxed();
    if let Some(prefix) = filter.action_prefix.as_deref().filter(|p| !p.is_empty()) {
        let pattern = format!("{}%", super::escape_like(prefix));
        query = query.filter(audit::action.like(pattern).escape('\\'));
    }
    if let Some(actor) = filter.actor.as_deref().filter(|a| !a.is_empty()) {
        query = query.filter(audit::actor.eq(actor.to_owned()));
    }
    if let Some(before) = filter.before {
        query = query.filter(audit::id.lt(before));
    }
    query
        .order(audit::id.desc())
        .limit(filter.limit.clamp(1, 500))
        .load(conn)
}

pub fn count_since(conn: &mut DbConn, action: &str, outcome: &str, since: i64) -> QueryResult<i64> {
    audit::table
        .filter(audit::action.eq(action))
        .filter(audit::outcome.eq(outcome))
        .filter(audit::at.ge(since))
        .count()
        .get_result(conn)
}
