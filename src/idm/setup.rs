//! First-run setup: the one-time setup code, and completing setup (organisation,
//! issuer, first admin, first signing key) exactly once, from the browser
//! wizard or `keyward setup`.

use crate::crypto::keys::{self, Algorithm, KeyEncryptionKey};
use crate::crypto::secret::{self, SecretString};
use crate::db::DbConn;
use crate::idm::accounts::{self, AccountError};
use crate::store::types::KeyStatus;
use crate::store::{self, audit, settings};

pub const SETUP_CODE_PREFIX: &str = "kw_setup_";

pub fn is_complete(conn: &mut DbConn) -> diesel::QueryResult<bool> {
    Ok(settings::get(conn, settings::SETUP_COMPLETED)?.is_some())
}

/// Makes a new setup code (or takes `preset`, from KEYWARD_SETUP_CODE), stores
/// its digest, and returns it for printing. The previous code stops working.
/// A preset code that has been spent is not armed again (`None`): it worked
/// once, and `keyward setup-code` makes a fresh one.
pub fn issue_code(
    conn: &mut DbConn,
    preset: Option<&str>,
) -> diesel::QueryResult<Option<SecretString>> {
    let code = match preset {
        Some(p) => SecretString::new(p),
        None => secret::generate(SETUP_CODE_PREFIX),
    };
    if preset.is_some()
        && settings::get(conn, settings::SETUP_CODE_SPENT)?
            .is_some_and(|spent| secret::constant_time_eq(&spent, &code.digest()))
    {
        return Ok(None);
    }
    settings::set(conn, settings::SETUP_CODE_DIGEST, &code.digest())?;
    Ok(Some(code))
}

/// Spends `presented` if it is the current setup code (constant-time
/// comparison): true once, for the one request that opens the wizard with it;
/// false for every later use, and once setup is complete.
pub fn spend_code(conn: &mut DbConn, presented: &str) -> diesel::QueryResult<bool> {
    if presented.is_empty() {
        return Ok(false);
    }
    crate::db::transaction(conn, |c| {
        if is_complete(c)? {
            return Ok(false);
        }
        let Some(digest) = settings::get(c, settings::SETUP_CODE_DIGEST)? else {
            return Ok(false);
        };
        if !secret::matches_digest(presented, &digest) {
            return Ok(false);
        }
        // Only the request whose delete takes the row spends it.
        if !settings::delete_if(c, settings::SETUP_CODE_DIGEST, &digest)? {
            return Ok(false);
        }
        settings::set(c, settings::SETUP_CODE_SPENT, &digest)?;
        audit::record(
            c,
            &audit::NewAuditEvent::new("setup.code_spent", true).target("setup"),
        )?;
        Ok(true)
    })
}

/// Everything setup needs. The admin password arrives already hashed when it
/// comes from the wizard (the wizard checks the rules on its step 2).
pub struct SetupInput {
    pub org_name: String,
    pub issuer: String,
    pub admin_username: String,
    pub admin_email: String,
    pub admin_password: AdminPassword,
    pub alg: Algorithm,
}

pub enum AdminPassword {
    /// Plain text, typed twice (checked against the rules here).
    Plain {
        password: String,
        confirmation: String,
    },
    /// A bcrypt hash made after the rules were checked.
    Hashed(String),
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("setup is already complete")]
    AlreadyComplete,
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
}

impl crate::db::Contention for SetupError {
    fn is_contention(&self) -> bool {
        matches!(self, SetupError::Db(e) if crate::db::is_contention(e))
    }
}

pub fn check_org_name(name: &str) -> Result<(), SetupError> {
    if crate::util::text::is_blank(name) || name.chars().count() > 100 {
        return Err(SetupError::Invalid {
            field: "org_name",
            message: "Enter a name of 1 to 100 characters.".into(),
        });
    }
    Ok(())
}

pub fn check_issuer(issuer: &str) -> Result<String, SetupError> {
    crate::oidc::discovery::validate_issuer(issuer.trim()).map_err(|p| SetupError::Invalid {
        field: "issuer",
        message: format!("The issuer {p}."),
    })
}

/// What a successful setup made.
#[derive(Debug)]
pub struct SetupOutcome {
    pub issuer: String,
    pub admin: store::users::User,
    pub kid: String,
}

/// Completes setup. Of concurrent completions exactly one succeeds: the first
/// statement of the transaction claims the `setup_completed` setting, and a
/// loser rolls back everything.
#[tracing::instrument(skip_all)]
pub fn complete(
    conn: &mut DbConn,
    input: SetupInput,
    kek: Option<&KeyEncryptionKey>,
    bcrypt_cost: u32,
    actor_ip: Option<String>,
) -> Result<SetupOutcome, SetupError> {
    if is_complete(conn)? {
        return Err(SetupError::AlreadyComplete);
    }
    check_org_name(&input.org_name)?;
    let issuer = check_issuer(&input.issuer)?;
    accounts::check_username(&input.admin_username)?;
    accounts::check_email(&input.admin_email)?;
    let hash = match &input.admin_password {
        AdminPassword::Plain {
            password,
            confirmation,
        } => {
            crate::crypto::password::check_new(
                password,
                confirmation,
                &[&input.admin_username, &input.admin_email],
            )
            .map_err(|m| SetupError::Invalid {
                field: "password",
                message: m.into(),
            })?;
            crate::crypto::password::hash(password, bcrypt_cost).map_err(AccountError::from)?
        }
        AdminPassword::Hashed(h) => h.clone(),
    };
    // Slow work before the transaction: the key.
    let generated = keys::generate(input.alg, 2048)?;
    let (private_key, encrypted) =
        keys::seal_private_key(kek, &generated.kid, &generated.private_pem)?;
    crate::db::transaction(conn, |c| {
        if !settings::insert_if_absent(c, settings::SETUP_COMPLETED, &store::now().to_string())? {
            return Err(SetupError::AlreadyComplete);
        }
        settings::set(c, settings::ORG_NAME, input.org_name.trim())?;
        settings::set(c, settings::ISSUER, &issuer)?;
        settings::delete(c, settings::SETUP_CODE_DIGEST)?;
        let mut admin = store::users::NewUser::new(
            &input.admin_username,
            Some(&input.admin_email),
            Some(hash.clone()),
        );
        admin.is_admin = true;
        let admin = store::users::insert(c, &admin)?;
        store::keys::rotate(
            c,
            &store::keys::SigningKey {
                kid: generated.kid.as_str().into(),
                alg: input.alg.as_str().into(),
                private_key: private_key.clone(),
                encrypted,
                public_jwk: generated.public_jwk.to_string(),
                status: KeyStatus::Active,
                created_at: store::now(),
                retired_at: None,
                revoked_at: None,
            },
        )?;
        settings::increment(c, settings::KEYS_VERSION)?;
        settings::increment(c, settings::METADATA_VERSION)?;
        audit::record(
            c,
            &audit::NewAuditEvent::new("setup.complete", true)
                .actor(admin.id.clone())
                .ip(actor_ip.clone())
                .detail(serde_json::json!({ "issuer": issuer, "admin": admin.username, "alg": input.alg.as_str() })),
        )?;
        Ok(SetupOutcome {
            issuer: issuer.clone(),
            admin,
            kid: generated.kid.clone(),
        })
    })
}

/// Used by the wizard to check the admin step before anything is stored.
pub fn check_admin(
    username: &str,
    email: &str,
    password: &str,
    confirmation: &str,
) -> Result<(), SetupError> {
    accounts::check_username(username)?;
    accounts::check_email(email)?;
    crate::crypto::password::check_new(password, confirmation, &[username, email]).map_err(|m| {
        SetupError::Invalid {
            field: "password",
            message: m.into(),
        }
    })
}

impl SetupError {
    /// The form field a person should fix, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            SetupError::Invalid { field, .. } => Some(field),
            SetupError::Account(
                AccountError::Invalid { field, .. } | AccountError::Conflict { field, .. },
            ) => Some(field),
            _ => None,
        }
    }

    pub fn user_message(&self) -> String {
        match self {
            SetupError::Invalid { message, .. } => message.clone(),
            SetupError::Account(
                AccountError::Invalid { message, .. } | AccountError::Conflict { message, .. },
            ) => message.clone(),
            SetupError::AlreadyComplete => "Setup is already complete.".into(),
            _ => "Setup could not be completed; the error has been logged.".into(),
        }
    }
}
