//! Creating and changing user accounts: the rules shared by the setup wizard,
//! the CLI and the admin pages (username and email form, password rules,
//! uniqueness), with bcrypt hashing. Blocking: call it off the async workers.

use rand::Rng;
use validator::ValidateEmail;

use crate::crypto::password;
use crate::db::DbConn;
use crate::store::{self, audit, users};

pub const USERNAME_MAX: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A value a person typed is not acceptable; `field` names the form field.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The change conflicts with the accounts as they are: the username or
    /// email belongs to another account, or no administrator would be left.
    #[error("{field}: {message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    #[error("no such user: {0}")]
    NotFound(String),
    #[error(transparent)]
    Hash(#[from] password::HashError),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
}

impl crate::db::Contention for AccountError {
    fn is_contention(&self) -> bool {
        matches!(self, AccountError::Db(e) if crate::db::is_contention(e))
    }
}

impl AccountError {
    fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AccountError::Invalid {
            field,
            message: message.into(),
        }
    }
}

fn email_taken() -> AccountError {
    AccountError::Conflict {
        field: "email",
        message: "Another account uses this email.".into(),
    }
}

/// 2 to 64 ASCII letters, digits, `.`, `_` or `-`, starting with a letter
/// or digit: what every app accepts as a `preferred_username`. Checked as
/// given (the pages trim what people type first).
pub fn check_username(username: &str) -> Result<(), AccountError> {
    let u = username;
    let n = u.chars().count();
    if !(2..=USERNAME_MAX).contains(&n) {
        return Err(AccountError::invalid("username", "Use 2 to 64 characters."));
    }
    if !u.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        || !u
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(AccountError::invalid(
            "username",
            "Use letters, digits, '.', '_' or '-', starting with a letter or digit.",
        ));
    }
    Ok(())
}

pub fn check_email(email: &str) -> Result<(), AccountError> {
    let e = email.trim();
    if e.validate_email() && e.chars().count() <= 254 && crate::idm::patterns::is_email(e) {
        Ok(())
    } else {
        Err(AccountError::invalid(
            "email",
            "Enter an email address like name@example.com.",
        ))
    }
}

/// A readable random password that meets the rules: 20 characters from an
/// alphabet without look-alikes (about 115 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    let raw: String = (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    // Grouped for reading aloud: xxxxx-xxxxx-xxxxx-xxxxx.
    raw.as_bytes()
        .chunks(5)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("-")
}

pub struct NewAccount<'a> {
    pub username: &'a str,
    pub email: Option<&'a str>,
    pub password: &'a str,
    pub password_confirmation: &'a str,
    pub is_admin: bool,
}

fn check_unique(
    conn: &mut DbConn,
    username: &str,
    email: Option<&str>,
) -> Result<(), AccountError> {
    if users::find_by_username(conn, username)?.is_some() {
        return Err(AccountError::Conflict {
            field: "username",
            message: "This username is taken.".into(),
        });
    }
    if let Some(e) = email {
        if users::find_by_email(conn, e)?.is_some() {
            return Err(email_taken());
        }
    }
    Ok(())
}

/// Validates and creates an account. `actor` is who did it, for the audit log.
#[tracing::instrument(skip_all, fields(actor = %actor.id))]
pub fn create(
    conn: &mut DbConn,
    account: &NewAccount,
    cost: u32,
    actor: &audit::Actor,
) -> Result<users::User, AccountError> {
    check_username(account.username)?;
    let email = account.email.map(str::trim).filter(|e| !e.is_empty());
    if let Some(e) = email {
        check_email(e)?;
    }
    let mut identity = vec![account.username];
    identity.extend(email);
    password::check_new(account.password, account.password_confirmation, &identity)
        .map_err(|m| AccountError::invalid("password", m))?;
    check_unique(conn, account.username, email)?;
    let hash = password::hash(account.password, cost)?;
    let mut new = users::NewUser::new(account.username, email, Some(hash));
    new.is_admin = account.is_admin;
    crate::db::transaction(conn, |c| {
        // A concurrent creation of the same name fails here, on the unique index.
        check_unique(c, account.username, email)?;
        let user = users::insert(c, &new)?;
        audit::record(
            c,
            &audit::NewAuditEvent::new("user.create", true)
                .by(actor)
                .target(user.id.clone())
                .detail(serde_json::json!({ "username": user.username, "admin": user.is_admin })),
        )?;
        Ok(user)
    })
}

/// Sets a new password (checked against the rules) and ends the user's
/// sessions, except `keep` (the public id of the session that made the
/// change, when the person changed their own).
#[tracing::instrument(skip_all, fields(actor = %actor.id))]
pub fn set_password(
    conn: &mut DbConn,
    user: &users::User,
    new_password: &str,
    confirmation: &str,
    cost: u32,
    actor: &audit::Actor,
    keep: Option<&str>,
) -> Result<(), AccountError> {
    check_new_password(user, new_password, confirmation)?;
    let hash = password::hash(new_password, cost)?;
    store_password(conn, user, &hash, actor, keep)
}

/// The password rules for `user`'s new password (length, not common, not
/// their name), before anything is hashed.
pub fn check_new_password(
    user: &users::User,
    new_password: &str,
    confirmation: &str,
) -> Result<(), AccountError> {
    let mut identity = vec![user.username.as_str()];
    identity.extend(user.email.as_deref());
    password::check_new(new_password, confirmation, &identity)
        .map_err(|m| AccountError::invalid("password", m))
}

/// Stores a new password hash, checked and made beforehand (off the pool:
/// see [`check_new_password`]), and ends the user's sessions but `keep`.
#[tracing::instrument(skip_all, fields(actor = %actor.id))]
pub fn store_password(
    conn: &mut DbConn,
    user: &users::User,
    hash: &str,
    actor: &audit::Actor,
    keep: Option<&str>,
) -> Result<(), AccountError> {
    crate::db::durably(conn, |conn| {
        crate::db::transaction(conn, |c| {
            users::set_password(c, &user.id, hash)?;
            store::sessions::delete_all_for_user(c, &user.id, keep)?;
            audit::record(
                c,
                &audit::NewAuditEvent::new("user.password", true)
                    .by(actor)
                    .target(user.id.clone()),
            )?;
            Ok(())
        })
    })
}

/// Disables (or enables) the user: sessions end and, when disabling, every
/// token of theirs is revoked, in one transaction.
#[tracing::instrument(skip_all, fields(actor = %actor.id))]
pub fn set_disabled(
    conn: &mut DbConn,
    user: &users::User,
    disabled: bool,
    actor: &audit::Actor,
) -> Result<(), AccountError> {
    crate::db::durably(conn, |conn| {
        crate::db::transaction(conn, |c| {
            if disabled {
                let current = users::find(c, &user.id)?
                    .ok_or_else(|| AccountError::NotFound(user.id.to_string()))?;
                check_keeps_an_admin(c, &current)?;
            }
            users::set_disabled(c, &user.id, disabled)?;
            if disabled {
                store::tokens::revoke_for_user(c, &user.id, store::now())?;
                store::sessions::delete_all_for_user(c, &user.id, None)?;
            }
            let action = if disabled {
                "user.disable"
            } else {
                "user.enable"
            };
            audit::record(
                c,
                &audit::NewAuditEvent::new(action, true)
                    .by(actor)
                    .target(user.id.clone()),
            )?;
            Ok(())
        })
    })
}

/// Forgets the account's failed sign-ins (an admin's "unlock"); true if it
/// had any. Audited either way.
#[tracing::instrument(skip_all, fields(actor = %actor.id))]
pub fn unlock(
    conn: &mut DbConn,
    user: &users::User,
    actor: &audit::Actor,
) -> Result<bool, AccountError> {
    crate::db::transaction(conn, |c| {
        let had = crate::idm::throttle::clear(c, user.id.as_str())?;
        audit::record(
            c,
            &audit::NewAuditEvent::new("user.unlock", true)
                .by(actor)
                .target(user.id.clone())
                .detail(serde_json::json!({ "had_failures": had })),
        )?;
        Ok(had)
    })
}

/// Profile fields as typed: empty means "not set".
#[derive(Debug, Clone, Default)]
pub struct Profile<'a> {
    pub email: &'a str,
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub display_name: &'a str,
}

/// A change to an account: its profile, and (for admins only) its role.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges<'a> {
    pub profile: Profile<'a>,
    /// `None` leaves the role as it is.
    pub is_admin: Option<bool>,
}

/// The longest a name on a profile may be, in characters.
pub const NAME_MAX: usize = 100;

fn optional(v: &str) -> Option<String> {
    let t = v.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Checks a profile: a well-formed email (or none) and names of at most
/// `NAME_MAX` characters.
pub fn check_profile(profile: &Profile) -> Result<(), AccountError> {
    if let Some(e) = optional(profile.email) {
        check_email(&e)?;
    }
    for (field, label, value) in [
        ("display_name", "the display name", profile.display_name),
        ("given_name", "the given name", profile.given_name),
        ("family_name", "the family name", profile.family_name),
    ] {
        if value.trim().chars().count() > NAME_MAX {
            return Err(AccountError::invalid(
                field,
                format!("Keep {label} to {NAME_MAX} characters."),
            ));
        }
    }
    Ok(())
}

/// Refuses a change that would leave no enabled administrator.
fn check_keeps_an_admin(c: &mut DbConn, user: &users::User) -> Result<(), AccountError> {
    users::lock_admins(c)?;
    // Read again under the lock: a concurrent change may have come first.
    let Some(user) = users::find(c, &user.id)? else {
        return Err(AccountError::NotFound(user.id.to_string()));
    };
    if user.is_admin && !user.disabled && users::count_admins(c)? <= 1 {
        return Err(AccountError::Conflict {
            field: "is_admin",
            message: "This is the only administrator: make someone else an administrator first."
                .into(),
        });
    }
    Ok(())
}

/// Changes an account's profile (and role, when asked), in one transaction
/// with its audit event. A changed email is no longer verified.
#[tracing::instrument(skip_all, fields(actor = %actor.id))]
pub fn update(
    conn: &mut DbConn,
    user: &users::User,
    changes: &AccountChanges,
    actor: &audit::Actor,
) -> Result<users::User, AccountError> {
    check_profile(&changes.profile)?;
    let p = &changes.profile;
    let email = optional(p.email);
    let email_key = email.as_deref().map(users::lookup_key);
    let row = users::ProfileChanges {
        email_verified: user.email_verified && email_key == user.email_key,
        email_key: email_key.clone(),
        email,
        given_name: optional(p.given_name),
        family_name: optional(p.family_name),
        display_name: optional(p.display_name),
        updated_at: store::now(),
    };
    crate::db::transaction(conn, |c| {
        let current =
            users::find(c, &user.id)?.ok_or_else(|| AccountError::NotFound(user.id.to_string()))?;
        if let Some(key) = email_key.as_deref() {
            if users::find_by_email(c, key)?.is_some_and(|other| other.id != user.id) {
                return Err(email_taken());
            }
        }
        users::update_profile(c, &user.id, &row)?;
        let role = changes.is_admin.filter(|a| *a != current.is_admin);
        if let Some(is_admin) = role {
            if !is_admin {
                check_keeps_an_admin(c, &current)?;
            }
            users::set_admin(c, &user.id, is_admin)?;
        }
        let mut detail = serde_json::json!({ "profile": true });
        if let Some(a) = role {
            detail["admin"] = a.into();
        }
        audit::record(
            c,
            &audit::NewAuditEvent::new("user.update", true)
                .by(actor)
                .target(user.id.clone())
                .detail(detail),
        )?;
        users::find(c, &user.id)?.ok_or_else(|| AccountError::NotFound(user.id.to_string()))
    })
    .map_err(|e| match e {
        // A concurrent change to the same email loses on the unique index.
        AccountError::Db(ref d) if crate::db::is_unique_violation(d) => email_taken(),
        other => other,
    })
}

/// Forgets a user's consent to a client and revokes that client's tokens for
/// them (ASVS 10.7.3). Returns whether there was a consent.
#[tracing::instrument(skip_all, fields(actor = %actor.id))]
pub fn revoke_consent(
    conn: &mut DbConn,
    user_id: &str,
    client_id: &str,
    actor: &audit::Actor,
) -> Result<bool, AccountError> {
    crate::db::durably(conn, |conn| {
        crate::db::transaction(conn, |c| {
            let revoked = store::consents::revoke(c, user_id, client_id)?;
            if revoked {
                audit::record(
                    c,
                    &audit::NewAuditEvent::new("consent.revoke", true)
                        .by(actor)
                        .target(client_id)
                        .detail(serde_json::json!({ "user": user_id })),
                )?;
            }
            Ok(revoked)
        })
    })
}

/// Deletes an account with its consents, codes and tokens (never the last
/// administrator).
#[tracing::instrument(skip_all, fields(actor = %actor.id))]
pub fn delete(
    conn: &mut DbConn,
    user: &users::User,
    actor: &audit::Actor,
) -> Result<(), AccountError> {
    crate::db::transaction(conn, |c| {
        let current =
            users::find(c, &user.id)?.ok_or_else(|| AccountError::NotFound(user.id.to_string()))?;
        check_keeps_an_admin(c, &current)?;
        if !users::delete(c, &user.id)? {
            // A concurrent deletion won.
            return Err(AccountError::NotFound(user.id.to_string()));
        }
        audit::record(
            c,
            &audit::NewAuditEvent::new("user.delete", true)
                .by(actor)
                .target(user.id.clone())
                .detail(serde_json::json!({ "username": current.username })),
        )?;
        Ok(())
    })
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> Result<users::User, AccountError> {
    users::find_by_username(conn, username)?
        .ok_or_else(|| AccountError::NotFound(username.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_and_email_rules() {
        assert!(check_username("alice").is_ok());
        assert!(check_username("a.b_c-9").is_ok());
        assert!(check_username("x").is_err());
        assert!(check_username("-alice").is_err());
        assert!(check_username("al ice").is_err());
        assert!(check_username(&"a".repeat(65)).is_err());
        assert!(check_email("a@example.com").is_ok());
        assert!(check_email("not an email").is_err());
    }

    #[test]
    fn generated_passwords_meet_the_rules() {
        for _ in 0..50 {
            let p = generate_password();
            assert_eq!(p.len(), 23);
            assert_eq!(password::check_new(&p, &p, &["alice"]), Ok(()), "{p}");
        }
    }
}
