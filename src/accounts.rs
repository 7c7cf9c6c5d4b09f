//! Creating and changing user accounts: the rules shared by the setup wizard,
//! the CLI and the admin pages (username and email form, password rules,
//! uniqueness), with bcrypt hashing. Blocking: call it off the async workers.

use diesel::Connection;
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
    #[error("no such user: {0}")]
    NotFound(String),
    #[error(transparent)]
    Hash(#[from] password::HashError),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
}

impl AccountError {
    fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AccountError::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// 2 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit.
pub fn check_username(username: &str) -> Result<(), AccountError> {
    let u = username.trim();
    let n = u.chars().count();
    if !(2..=USERNAME_MAX).contains(&n) {
        return Err(AccountError::invalid("username", "Use 2 to 64 characters."));
    }
    if !u.chars().next().is_some_and(char::is_alphanumeric)
        || !u
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(AccountError::invalid(
            "username",
            "Use letters, digits, '.', '_' or '-', starting with a letter or digit.",
        ));
    }
    Ok(())
}

pub fn check_email(email: &str) -> Result<(), AccountError> {
    if email.trim().validate_email() && email.len() <= 254 {
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
        return Err(AccountError::invalid("username", "This username is taken."));
    }
    if let Some(e) = email {
        if users::find_by_email(conn, e)?.is_some() {
            return Err(AccountError::invalid(
                "email",
                "Another account uses this email.",
            ));
        }
    }
    Ok(())
}

/// Validates and creates an account. `actor` is who did it, for the audit log.
pub fn create(
    conn: &mut DbConn,
    account: &NewAccount,
    cost: u32,
    actor: &str,
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
    conn.transaction(|c| {
        // A concurrent creation of the same name fails here, on the unique index.
        check_unique(c, account.username, email)?;
        let user = users::insert(c, &new)?;
        audit::record(
            c,
            &audit::NewAuditEvent::new("user.create", true)
                .actor(actor)
                .target(user.id.clone())
                .detail(serde_json::json!({ "username": user.username, "admin": user.is_admin })),
        )?;
        Ok(user)
    })
}

/// Sets a new password (checked against the rules) and ends the user's sessions.
pub fn set_password(
    conn: &mut DbConn,
    user: &users::User,
    new_password: &str,
    confirmation: &str,
    cost: u32,
    actor: &str,
) -> Result<(), AccountError> {
    let mut identity = vec![user.username.as_str()];
    identity.extend(user.email.as_deref());
    password::check_new(new_password, confirmation, &identity)
        .map_err(|m| AccountError::invalid("password", m))?;
    let hash = password::hash(new_password, cost)?;
    conn.transaction(|c| {
        users::set_password(c, &user.id, &hash)?;
        audit::record(
            c,
            &audit::NewAuditEvent::new("user.password", true)
                .actor(actor)
                .target(user.id.clone()),
        )?;
        Ok(())
    })
}

/// Disables (or enables) the user: sessions end and, when disabling, every
/// token of theirs is revoked, in one transaction.
pub fn set_disabled(
    conn: &mut DbConn,
    user: &users::User,
    disabled: bool,
    actor: &str,
) -> Result<(), AccountError> {
    conn.transaction(|c| {
        users::set_disabled(c, &user.id, disabled)?;
        if disabled {
            store::tokens::revoke_for_user(c, &user.id, store::now())?;
        }
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        audit::record(
            c,
            &audit::NewAuditEvent::new(action, true)
                .actor(actor)
                .target(user.id.clone()),
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
