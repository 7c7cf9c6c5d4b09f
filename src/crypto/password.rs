//! User passwords: bcrypt hashes (run them off the async workers), the rules a
//! new password must meet, and a dummy verification so that a login for an
//! unknown user costs the same as one for a known user.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};

pub const MIN_CHARS: usize = 12;
/// bcrypt reads at most 72 bytes; a longer password would be silently cut.
pub const MAX_BYTES: usize = 72;

/// The 10,000 most common passwords of the zxcvbn project's list (MIT).
const COMMON: &str = include_str!("common_passwords.txt");

#[derive(Debug, thiserror::Error)]
#[error("hashing the password failed: {0}")]
pub struct HashError(#[from] bcrypt::BcryptError);

pub fn hash(password: &str, cost: u32) -> Result<String, HashError> {
    Ok(bcrypt::hash(password, cost)?)
}

/// Whether `password` matches `hash`; a malformed hash never matches.
pub fn verify(password: &str, hash: &str) -> bool {
    bcrypt::verify(password, hash).unwrap_or(false)
}

/// Spends one bcrypt verification of `cost` and returns false: what a login
/// does when the user does not exist, so that timing does not tell.
pub fn verify_dummy(password: &str, cost: u32) -> bool {
    static DUMMIES: OnceLock<Mutex<HashMap<u32, String>>> = OnceLock::new();
    let dummies = DUMMIES.get_or_init(|| Mutex::new(HashMap::new()));
    let dummy = {
        let mut map = match dummies.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        map.entry(cost)
            .or_insert_with(|| bcrypt::hash("keyward-dummy-password", cost).unwrap_or_default())
            .clone()
    };
    let _ = verify(password, &dummy);
    false
}

fn common_set() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON.lines().filter(|l| !l.is_empty()).collect())
}

/// Whether the password is a common one, also after the usual decorations:
/// case, and digits or symbols added before or after ("Password2024!").
pub fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let set = common_set();
    let not_letter = |c: char| !c.is_alphabetic();
    let candidates = [
        lower.as_str(),
        lower.trim_end_matches(not_letter),
        lower.trim_start_matches(not_letter),
        lower.trim_matches(not_letter),
    ];
    if candidates.iter().any(|c| !c.is_empty() && set.contains(c)) {
        return true;
    }
    // Very few distinct characters: "aaaaaaaaaaaa", "121212121212".
    let distinct: HashSet<char> = lower.chars().collect();
    distinct.len() < 4
}

/// Checks a new password and its confirmation; the message is for the person
/// choosing it. `identity` holds the username and email, which it must not contain.
pub fn check_new(
    password: &str,
    confirmation: &str,
    identity: &[&str],
) -> Result<(), &'static str> {
    if password != confirmation {
        return Err("The two passwords do not match.");
    }
    if password.chars().count() < MIN_CHARS {
        return Err("Use at least 12 characters.");
    }
    if password.len() > MAX_BYTES {
        return Err("Use at most 72 bytes (about 72 characters): longer passwords are cut short by the hash.");
    }
    if is_common(password) {
        return Err("This password is on a list of common passwords. Choose another.");
    }
    let lower = password.to_lowercase();
    for id in identity {
        let id = id.trim().to_lowercase();
        let local = id.split('@').next().unwrap_or("");
        if local.chars().count() >= 4 && lower.contains(local) {
            return Err("The password must not contain your username or email.");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_malformed_hashes_do_not() {
        let h = hash("correct horse battery", 4).unwrap();
        assert!(h.starts_with("$2b$04$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("Correct horse battery", &h));
        assert!(!verify("anything", "not-a-hash"));
        assert!(!verify_dummy("anything", 4));
    }

    #[test]
    fn new_password_rules() {
        let ok = "plum-tractor-lantern";
        assert_eq!(check_new(ok, ok, &["alice", "alice@example.com"]), Ok(()));
        assert!(check_new(ok, "plum-tractor-lantern2", &[])
            .unwrap_err()
            .contains("do not match"));
        assert!(check_new("short-pw", "short-pw", &[])
            .unwrap_err()
            .contains("12"));
        let long = "x".repeat(40) + &"y".repeat(40);
        assert!(check_new(&long, &long, &[]).unwrap_err().contains("72"));
        for common in [
            "password1234",
            "Password2024!",
            "qwerty123456",
            "123qweasdzxc",
            "aaaaaaaaaaaaaaa",
            "121212121212",
            "!!sunshine2025",
        ] {
            assert!(is_common(common), "{common}");
            assert!(
                check_new(common, common, &[])
                    .unwrap_err()
                    .contains("common"),
                "{common}"
            );
        }
        let mine = "alice-in-the-garden";
        assert!(check_new(mine, mine, &["Alice", "alice@example.com"])
            .unwrap_err()
            .contains("username"));
        // Twelve characters counted as characters, not bytes.
        let unicode = "ümlaut-päss-wörd";
        assert_eq!(check_new(unicode, unicode, &[]), Ok(()));
    }
}
