//! The signing-key lifecycle: rotate, retire, revoke, and the end of a retired
//! key's retention. Each change bumps `keys_version` in the same transaction,
//! which is how every instance learns to reload its key ring.

use crate::crypto::keys::{self, Algorithm, KeyEncryptionKey, KeyError};
use crate::db::DbConn;
use crate::store::types::KeyStatus;
use crate::store::{self, settings};

/// Retired keys stay published this long unless the `key_retention_seconds`
/// setting says otherwise: long enough for every token they signed to expire.
pub const DEFAULT_RETENTION_SECS: i64 = 7 * 24 * 3600;
pub const RETENTION_SETTING: &str = "key_retention_seconds";

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("no signing key with kid {0}")]
    NotFound(String),
    #[error("key {kid} is {status}; only an active key can be retired")]
    NotActive { kid: String, status: KeyStatus },
    #[error("key {0} is the last active signing key; rotate to a new key first")]
    LastActiveKey(String),
}

impl crate::db::Contention for LifecycleError {
    fn is_contention(&self) -> bool {
        matches!(self, LifecycleError::Db(e) if crate::db::is_contention(e))
    }
}

/// Generates a key for `alg` (RSA of `rsa_bits`), stores it (encrypted when a
/// key-encryption key is configured) as the active key for its algorithm, and
/// retires the key it replaces. Returns the new kid.
#[tracing::instrument(skip_all, fields(actor = %actor.id))]
pub fn rotate(
    conn: &mut DbConn,
    kek: Option<&KeyEncryptionKey>,
    alg: Algorithm,
    rsa_bits: u32,
    actor: &store::audit::Actor,
) -> Result<String, LifecycleError> {
    // Key generation (RSA can take a second) happens outside the transaction.
    let generated = keys::generate(alg, rsa_bits)?;
    let (private_key, encrypted) =
        keys::seal_private_key(kek, &generated.kid, &generated.private_pem)?;
    let row = store::keys::SigningKey {
        kid: generated.kid.as_str().into(),
        alg: alg.as_str().to_owned(),
        private_key,
        encrypted,
        public_jwk: generated.public_jwk.to_string(),
        status: KeyStatus::Active.to_owned(),
        created_at: store::now(),
        retired_at: None,
        revoked_at: None,
    };
    crate::db::transaction(conn, |c| {
        store::keys::rotate(c, &row)?;
        settings::increment(c, settings::KEYS_VERSION)?;
        audit(c, "key.rotate", &row.kid, actor)?;
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(generated.kid)
}

/// Stops a key signing; it stays in the JWKS until its retention ends.
#[tracing::instrument(skip_all, fields(actor = %actor.id, kid))]
pub fn retire(
    conn: &mut DbConn,
    kid: &str,
    actor: &store::audit::Actor,
) -> Result<(), LifecycleError> {
    crate::db::transaction(conn, |c| {
        store::keys::lock_active(c)?;
        let key =
            store::keys::find(c, kid)?.ok_or_else(|| LifecycleError::NotFound(kid.to_owned()))?;
        if key.status != KeyStatus::Active {
            return Err(LifecycleError::NotActive {
                kid: kid.to_owned(),
                status: key.status,
            });
        }
        let others_active = store::keys::list_published(c)?
            .iter()
            .filter(|k| k.status == KeyStatus::Active && k.kid != kid)
            .count();
        if others_active == 0 {
            return Err(LifecycleError::LastActiveKey(kid.to_owned()));
        }
        store::keys::retire(c, kid)?;
        settings::increment(c, settings::KEYS_VERSION)?;
        audit(c, "key.retire", kid, actor)?;
        Ok(())
    })
}

/// Removes a key from the JWKS at once (for a compromised key): tokens it
/// signed stop verifying everywhere within one sync interval. Allowed even
/// for the last active key, since a compromised key must not keep signing.
#[tracing::instrument(skip_all, fields(actor = %actor.id, kid))]
pub fn revoke(
    conn: &mut DbConn,
    kid: &str,
    actor: &store::audit::Actor,
) -> Result<(), LifecycleError> {
    crate::db::durably(conn, |conn| {
        crate::db::transaction(conn, |c| {
            let key = store::keys::find(c, kid)?
                .ok_or_else(|| LifecycleError::NotFound(kid.to_owned()))?;
            if key.status == KeyStatus::Revoked {
                return Ok(());
            }
            store::keys::revoke(c, kid)?;
            // The JWT access tokens it signed stop everywhere Keyward checks
            // tokens (introspection, userinfo, the admin API), not only
            // where the JWKS is read.
            let stopped = store::tokens::revoke_signed_by(c, &[kid.to_owned()], store::now())?;
            tracing::info!(
                kid,
                tokens = stopped,
                "revoked the access tokens the key signed"
            );
            settings::increment(c, settings::KEYS_VERSION)?;
            audit(c, "key.revoke", kid, actor)?;
            Ok(())
        })
    })
}

/// Key changes go to the audit log with who made them.
fn audit(
    c: &mut DbConn,
    action: &str,
    kid: &str,
    actor: &store::audit::Actor,
) -> diesel::QueryResult<()> {
    store::audit::record(
        c,
        &store::audit::NewAuditEvent::new(action, true)
            .by(actor)
            .target(kid),
    )
}

pub fn retention_secs(conn: &mut DbConn) -> Result<i64, LifecycleError> {
    Ok(settings::get(conn, RETENTION_SETTING)?
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| *v >= 0)
        .unwrap_or(DEFAULT_RETENTION_SECS))
}

/// Revokes retired keys whose retention has ended; returns how many.
#[tracing::instrument(skip_all)]
pub fn expire_retired(conn: &mut DbConn, now: i64) -> Result<usize, LifecycleError> {
    let retention = retention_secs(conn)?;
    crate::db::transaction(conn, |c| {
        let ending = store::keys::retired_before(c, now - retention)?;
        store::tokens::revoke_signed_by(c, &ending, now)?;
        let n = store::keys::expire_retired(c, now - retention)?;
        if n > 0 {
            settings::increment(c, settings::KEYS_VERSION)?;
        }
        Ok(n)
    })
}
