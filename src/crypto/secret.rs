//! Random secrets (tokens, codes, client secrets, API keys, the setup code) and
//! the SHA-256 digests under which they are stored. A secret is shown once and
//! never stored; digests are compared in constant time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 256 bits of randomness in every generated secret.
pub const SECRET_BYTES: usize = 32;

/// A secret value whose `Debug` and `Display` never print it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        SecretString(value.into())
    }
    /// The secret itself, for the one place that must show or send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn digest(&self) -> String {
        digest(&self.0)
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretString(***)")
    }
}

impl std::fmt::Display for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// A new secret: a readable prefix (such as `kw_at_`) and 256 random bits in
/// base64url, so a leaked one is easy to recognise.
pub fn generate(prefix: &str) -> SecretString {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    SecretString(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// Lower-case hex SHA-256 of the secret: the only form that is stored.
pub fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for b in hash {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Compares in time independent of where the inputs differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Whether `presented` hashes to `stored_digest`, compared in constant time.
pub fn matches_digest(presented: &str, stored_digest: &str) -> bool {
    constant_time_eq(&digest(presented), stored_digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_prefixed_random_and_long() {
        let a = generate("kw_at_");
        let b = generate("kw_at_");
        assert!(a.expose().starts_with("kw_at_"));
        assert_ne!(a, b);
        // 32 bytes in unpadded base64url are 43 characters.
        assert_eq!(a.expose().len(), "kw_at_".len() + 43);
    }

    #[test]
    fn digests_are_sha256_hex() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let s = generate("kw_cs_");
        assert!(matches_digest(s.expose(), &s.digest()));
        assert!(!matches_digest("kw_cs_other", &s.digest()));
    }

    #[test]
    fn secrets_never_print() {
        let s = generate("kw_rt_");
        assert_eq!(format!("{s:?}"), "SecretString(***)");
        assert_eq!(format!("{s}"), "***");
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq("same", "same"));
        assert!(!constant_time_eq("same", "diff"));
        assert!(!constant_time_eq("short", "longer"));
    }
}
