//! Access and refresh tokens, stored by SHA-256 digest (opaque tokens and JWTs
//! alike, so introspection and revocation look every token up the same way).

use diesel::prelude::*;

use crate::db::schema::tokens;
use crate::db::DbConn;
use crate::store::types::{ClientId, FamilyId, TokenFormat, TokenKind, UserId, Words};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = tokens)]
pub struct Token {
    /// The JWT `jti`, or a random id for opaque tokens.
    pub id: String,
    pub digest: String,
    pub kind: TokenKind,
    pub format: TokenFormat,
    pub client_id: ClientId,
    /// `None` for client-credentials tokens.
    pub user_id: Option<UserId>,
    pub scope: Words<String>,
    /// Tokens descending from one code or one refresh chain share a family.
    pub family_id: Option<FamilyId>,
    pub auth_time: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    /// The absolute end of a refresh family, however often it rotates.
    pub family_expires_at: Option<i64>,
    pub rotated_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// The key that signed a JWT access token; revoking the key revokes it.
    pub kid: Option<String>,
}

impl Token {
    pub fn is_active(&self, at: i64) -> bool {
        self.revoked_at.is_none() && self.rotated_at.is_none() && self.expires_at > at
    }
}

pub fn insert(conn: &mut DbConn, token: &Token) -> QueryResult<()> {
    diesel::insert_into(tokens::table)
        .values(token)
        .execute(conn)
        .map(|_| ())
}

/// Several rows in one INSERT (a multi-row insert is backend-specific SQL,
/// hence the match).
pub fn insert_all(conn: &mut DbConn, rows: &[Token]) -> QueryResult<()> {
    let insert = diesel::insert_into(tokens::table).values(rows);
    match conn {
        DbConn::Pg(c) => insert.execute(c),
        DbConn::Sqlite(c) => insert.execute(c),
    }
    .map(|_| ())
}

pub fn find_by_digest(conn: &mut DbConn, digest: &str) -> QueryResult<Option<Token>> {
    tokens::table
        .filter(tokens::digest.eq(digest))
        .select(Token::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Token>> {
    tokens::table
        .find(id)
        .select(Token::as_select())
        .first(conn)
        .optional()
}

/// Marks a refresh token used, only if it is still unused and unrevoked.
/// Returns whether this call won: of concurrent rotations exactly one does.
pub fn mark_rotated(conn: &mut DbConn, id: &str, at: i64) -> QueryResult<bool> {
    let n = diesel::update(
        tokens::table
            .filter(tokens::id.eq(id))
            .filter(tokens::rotated_at.is_null())
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::rotated_at.eq(at))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn revoke(conn: &mut DbConn, id: &str, at: i64) -> QueryResult<bool> {
    let n = diesel::update(
        tokens::table
            .filter(tokens::id.eq(id))
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(at))
    .execute(conn)?;
    Ok(n == 1)
}

/// Revokes every token of a family; returns how many were still unrevoked.
pub fn revoke_family(conn: &mut DbConn, family_id: &str, at: i64) -> QueryResult<usize> {
    diesel::update(
        tokens::table
            .filter(tokens::family_id.eq(family_id))
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(at))
    .execute(conn)
}

/// Revokes the unrevoked tokens signed by any of `kids` (JWT access tokens
/// of a revoked key); returns how many.
pub fn revoke_signed_by(conn: &mut DbConn, kids: &[String], at: i64) -> QueryResult<usize> {
    if kids.is_empty() {
        return Ok(0);
    }
    diesel::update(
        tokens::table
            .filter(tokens::kid.eq_any(kids))
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(at))
    .execute(conn)
}

pub fn revoke_for_user_and_client(
    conn: &mut DbConn,
    user_id: &str,
    client_id: &str,
    at: i64,
) -> QueryResult<usize> {
    diesel::update(
        tokens::table
            .filter(tokens::user_id.eq(user_id))
            .filter(tokens::client_id.eq(client_id))
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(at))
    .execute(conn)
}

pub fn revoke_for_client(conn: &mut DbConn, client_id: &str, at: i64) -> QueryResult<usize> {
    diesel::update(
        tokens::table
            .filter(tokens::client_id.eq(client_id))
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(at))
    .execute(conn)
}

pub fn revoke_for_user(conn: &mut DbConn, user_id: &str, at: i64) -> QueryResult<usize> {
    diesel::update(
        tokens::table
            .filter(tokens::user_id.eq(user_id))
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(at))
    .execute(conn)
}

pub fn count_active(conn: &mut DbConn, at: i64) -> QueryResult<i64> {
    tokens::table
        .filter(tokens::revoked_at.is_null())
        .filter(tokens::rotated_at.is_null())
        .filter(tokens::expires_at.gt(at))
        .count()
        .get_result(conn)
}

/// Removes tokens that expired before `before` (a rotated or revoked token is
/// kept until then, so reuse of it is still recognised); returns how many.
pub fn delete_expired(conn: &mut DbConn, before: i64) -> QueryResult<usize> {
    diesel::delete(tokens::table.filter(tokens::expires_at.lt(before))).execute(conn)
}

#[derive(QueryableByName)]
struct InsertedId {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}

/// Stores client-credentials access tokens, each only if its client still has
/// the revision the token was decided on (and is enabled): a token minted from
/// a cached copy of a client that changed since is not stored, and the caller
/// decides again from the database. Returns the ids of the stored tokens.
///
/// On PostgreSQL the whole batch is one statement, committed without waiting
/// for the WAL flush (`synchronous_commit` off for this transaction only): a
/// crash in the next fraction of a second can lose only tokens their clients
/// can ask for again. On SQLite it is one transaction.
pub fn insert_machine_tokens(conn: &mut DbConn, rows: Vec<(Token, i64)>) -> QueryResult<Vec<bool>> {
    let stored = store_if_unchanged(conn, &rows)?;
    Ok(rows.iter().map(|(t, _)| stored.contains(&t.id)).collect())
}

fn store_if_unchanged(
    conn: &mut DbConn,
    rows: &[(Token, i64)],
) -> QueryResult<std::collections::HashSet<String>> {
    use diesel::sql_types::{Array, BigInt, Nullable, Text};
    if rows.is_empty() {
        return Ok(Default::default());
    }
    match conn {
        DbConn::Pg(pg) => {
            let col = |f: fn(&Token) -> String| rows.iter().map(|(t, _)| f(t)).collect::<Vec<_>>();
            let num = |f: fn(&(Token, i64)) -> i64| rows.iter().map(f).collect::<Vec<_>>();
            let inserted: Vec<InsertedId> = diesel::sql_query(
                "WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)) \
                 INSERT INTO tokens (id, digest, kind, format, client_id, scope, created_at, expires_at, kid) \
                 SELECT t.id, t.digest, t.kind, t.format, t.client_id, t.scope, t.created_at, t.expires_at, t.kid \
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
                             $7::bigint[], $8::bigint[], $9::bigint[], $10::text[]) \
                      AS t(id, digest, kind, format, client_id, scope, created_at, expires_at, revision, kid) \
                 JOIN clients c ON c.id = t.client_id AND c.revision = t.revision AND NOT c.disabled \
                 CROSS JOIN relaxed \
                 RETURNING tokens.id",
            )
            .bind::<Array<Text>, _>(col(|t| t.id.clone()))
            .bind::<Array<Text>, _>(col(|t| t.digest.clone()))
            .bind::<Array<Text>, _>(col(|t| t.kind.to_string()))
            .bind::<Array<Text>, _>(col(|t| t.format.to_string()))
            .bind::<Array<Text>, _>(col(|t| t.client_id.to_string()))
            .bind::<Array<Text>, _>(col(|t| t.scope.to_string()))
            .bind::<Array<BigInt>, _>(num(|(t, _)| t.created_at))
            .bind::<Array<BigInt>, _>(num(|(t, _)| t.expires_at))
            .bind::<Array<BigInt>, _>(num(|(_, r)| *r))
            .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|(t, _)| t.kid.clone()).collect::<Vec<_>>())
            .load(pg)?;
            Ok(inserted.into_iter().map(|r| r.id).collect())
        }
        DbConn::Sqlite(_) => crate::db::transaction(conn, |c| {
            let mut stored = std::collections::HashSet::new();
            for (t, revision) in rows {
                let n = diesel::sql_query(
                    "INSERT INTO tokens (id, digest, kind, format, client_id, scope, created_at, expires_at, kid) \
                     SELECT ?, ?, ?, ?, id, ?, ?, ?, ? FROM clients \
                     WHERE id = ? AND revision = ? AND NOT disabled",
                )
                .bind::<Text, _>(&t.id)
                .bind::<Text, _>(&t.digest)
                .bind::<Text, _>(&t.kind)
                .bind::<Text, _>(&t.format)
                .bind::<Text, _>(&t.scope)
                .bind::<BigInt, _>(t.created_at)
                .bind::<BigInt, _>(t.expires_at)
                .bind::<Nullable<Text>, _>(&t.kid)
                .bind::<Text, _>(&t.client_id)
                .bind::<BigInt, _>(revision)
                .execute(c)?;
                if n == 1 {
                    stored.insert(t.id.clone());
                }
            }
            Ok(stored)
        }),
    }
}

/// A token looked up for introspection: the token (if any), its user's
/// username and whether that user is disabled, and the asking client's
/// current revision (`None` when it is gone or disabled) — all in one
/// statement, so a cached copy of the asking client can be checked for free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub token: Option<Token>,
    pub username: Option<String>,
    pub user_disabled: bool,
    pub caller_revision: Option<i64>,
}

#[derive(QueryableByName)]
struct LookupRow {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    digest: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    kind: Option<TokenKind>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    format: Option<TokenFormat>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    client_id: Option<ClientId>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    user_id: Option<UserId>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    scope: Option<Words<String>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    family_id: Option<FamilyId>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    auth_time: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    created_at: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    expires_at: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    family_expires_at: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    rotated_at: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    revoked_at: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    kid: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    username: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Bool>)]
    user_disabled: Option<bool>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    caller_revision: Option<i64>,
}

const LOOKUP_MANY_SQL: &str =
    "SELECT t.id, t.digest, t.kind, t.format, t.client_id, t.user_id, t.scope, \
     t.family_id, t.auth_time, t.created_at, t.expires_at, t.family_expires_at, t.rotated_at, \
     t.revoked_at, t.kid, u.username, u.disabled AS user_disabled, c.revision AS caller_revision \
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(digest, caller, n) \
     LEFT JOIN tokens t ON t.digest = q.digest \
     LEFT JOIN users u ON u.id = t.user_id \
     LEFT JOIN clients c ON c.id = q.caller AND NOT c.disabled \
     ORDER BY q.n";

/// [`lookup`] for many (digest, asking client) pairs at once, in order: on
/// PostgreSQL one statement for the lot.
pub fn lookup_many(conn: &mut DbConn, requests: Vec<(String, String)>) -> QueryResult<Vec<Lookup>> {
    use diesel::sql_types::{Array, Text};
    match conn {
        DbConn::Pg(pg) => {
            let (digests, callers): (Vec<String>, Vec<String>) = requests.into_iter().unzip();
            let rows: Vec<LookupRow> = diesel::sql_query(LOOKUP_MANY_SQL)
                .bind::<Array<Text>, _>(digests)
                .bind::<Array<Text>, _>(callers)
                .load(pg)?;
            Ok(rows.into_iter().map(LookupRow::into_lookup).collect())
        }
        DbConn::Sqlite(_) => requests
            .iter()
            .map(|(digest, caller)| lookup(conn, digest, caller))
            .collect(),
    }
}

const LOOKUP_SQL: &str =
    "SELECT t.id, t.digest, t.kind, t.format, t.client_id, t.user_id, t.scope, \
     t.family_id, t.auth_time, t.created_at, t.expires_at, t.family_expires_at, t.rotated_at, \
     t.revoked_at, t.kid, u.username, u.disabled AS user_disabled, \
     (SELECT c.revision FROM clients c WHERE c.id = $2 AND NOT c.disabled) AS caller_revision \
     FROM (SELECT 1 AS one) AS one \
     LEFT JOIN tokens t ON t.digest = $1 \
     LEFT JOIN users u ON u.id = t.user_id";

/// Looks up the token with `digest` for the client `caller` (see [`Lookup`]).
pub fn lookup(conn: &mut DbConn, digest: &str, caller: &str) -> QueryResult<Lookup> {
    use diesel::sql_types::Text;
    let row: LookupRow = match conn {
        DbConn::Pg(pg) => diesel::sql_query(LOOKUP_SQL)
            .bind::<Text, _>(digest)
            .bind::<Text, _>(caller)
            .get_result(pg)?,
        // SQLite numbers its parameters ?1, ?2.
        DbConn::Sqlite(lite) => diesel::sql_query(LOOKUP_SQL.replace('$', "?"))
            .bind::<Text, _>(digest)
            .bind::<Text, _>(caller)
            .get_result(lite)?,
    };
    Ok(row.into_lookup())
}

impl LookupRow {
    fn into_lookup(self) -> Lookup {
        let row = self;
        let token = match (
            row.id,
            row.digest,
            row.kind,
            row.format,
            row.client_id,
            row.scope,
            row.created_at,
            row.expires_at,
        ) {
            (
                Some(id),
                Some(digest),
                Some(kind),
                Some(format),
                Some(client_id),
                Some(scope),
                Some(created_at),
                Some(expires_at),
            ) => Some(Token {
                id,
                digest,
                kind,
                format,
                client_id,
                user_id: row.user_id,
                scope,
                family_id: row.family_id,
                auth_time: row.auth_time,
                created_at,
                expires_at,
                family_expires_at: row.family_expires_at,
                rotated_at: row.rotated_at,
                revoked_at: row.revoked_at,
                kid: row.kid,
            }),
            _ => None,
        };
        Lookup {
            token,
            username: row.username,
            user_disabled: row.user_disabled.unwrap_or(false),
            caller_revision: row.caller_revision,
        }
    }
}
