//! Signing keys: generation with openssl (RS256, ES256, EdDSA), public JWKs,
//! RFC 7638 thumbprints as `kid`, and AES-256-GCM encryption of private keys at
//! rest.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::Rsa;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::seal;

/// The JWS algorithms Keyward signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    RS256,
    ES256,
    EdDSA,
}

impl Algorithm {
    pub const ALL: [Algorithm; 3] = [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::ES256 => "ES256",
            Algorithm::EdDSA => "EdDSA",
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Algorithm {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| KeyError::UnsupportedAlgorithm(s.to_owned()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("unsupported signing algorithm '{0}' (expected RS256, ES256 or EdDSA)")]
    UnsupportedAlgorithm(String),
    #[error("RSA keys must be 2048, 3072 or 4096 bits, not {0}")]
    RsaSize(u32),
    #[error("openssl: {0}")]
    OpenSsl(#[from] openssl::error::ErrorStack),
    #[error("the private key of {kid} is encrypted, but KEYWARD_KEY_ENCRYPTION_KEY is not set")]
    EncryptionKeyMissing { kid: String },
    #[error("the private key of {kid} cannot be decrypted: KEYWARD_KEY_ENCRYPTION_KEY is not the key it was encrypted with")]
    WrongEncryptionKey { kid: String },
    #[error("the private key of {kid} is malformed: {reason}")]
    Malformed { kid: String, reason: String },
}

pub const RSA_SIZES: [u32; 3] = [2048, 3072, 4096];

/// A freshly generated key: its kid, the PKCS#8 PEM, and the public JWK.
pub struct GeneratedKey {
    pub kid: String,
    pub alg: Algorithm,
    pub private_pem: String,
    pub public_jwk: Value,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("private_pem", &"***")
            .finish()
    }
}

pub fn generate(alg: Algorithm, rsa_bits: u32) -> Result<GeneratedKey, KeyError> {
    let pkey = match alg {
        Algorithm::RS256 => {
            if !RSA_SIZES.contains(&rsa_bits) {
                return Err(KeyError::RsaSize(rsa_bits));
            }
            PKey::from_rsa(Rsa::generate(rsa_bits)?)?
        }
        Algorithm::ES256 => {
            let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
            PKey::from_ec_key(EcKey::generate(&group)?)?
        }
        Algorithm::EdDSA => PKey::generate_ed25519()?,
    };
    let public_jwk = public_jwk(&pkey, alg)?;
    let kid = public_jwk["kid"].as_str().unwrap_or_default().to_owned();
    let private_pem =
        String::from_utf8(pkey.private_key_to_pem_pkcs8()?).map_err(|e| KeyError::Malformed {
            kid: kid.clone(),
            reason: e.to_string(),
        })?;
    Ok(GeneratedKey {
        kid,
        alg,
        private_pem,
        public_jwk,
    })
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `bn` as exactly `len` big-endian bytes (EC coordinates keep leading zeros).
fn fixed_len(bn: &BigNum, len: i32) -> Result<Vec<u8>, KeyError> {
    Ok(bn.to_vec_padded(len)?)
}

/// The public JWK of a private key: the members RFC 7518 names for its type,
/// plus `kid` (the RFC 7638 thumbprint), `alg` and `use`.
pub fn public_jwk(pkey: &PKey<Private>, alg: Algorithm) -> Result<Value, KeyError> {
    let required = match (alg, pkey.id()) {
        (Algorithm::RS256, Id::RSA) => {
            let rsa = pkey.rsa()?;
            json!({ "e": b64(&rsa.e().to_vec()), "kty": "RSA", "n": b64(&rsa.n().to_vec()) })
        }
        (Algorithm::ES256, Id::EC) => {
            let ec = pkey.ec_key()?;
            let mut ctx = BigNumContext::new()?;
            let (mut x, mut y) = (BigNum::new()?, BigNum::new()?);
            ec.public_key()
                .affine_coordinates(ec.group(), &mut x, &mut y, &mut ctx)?;
            json!({
                "crv": "P-256",
                "kty": "EC",
                "x": b64(&fixed_len(&x, 32)?),
                "y": b64(&fixed_len(&y, 32)?),
            })
        }
        (Algorithm::EdDSA, Id::ED25519) => {
            json!({ "crv": "Ed25519", "kty": "OKP", "x": b64(&pkey.raw_public_key()?) })
        }
        (alg, _) => {
            return Err(KeyError::Malformed {
                kid: String::new(),
                reason: format!("the key type does not match {alg}"),
            })
        }
    };
    let kid = thumbprint(&required);
    let mut jwk = required;
    jwk["kid"] = json!(kid);
    jwk["alg"] = json!(alg.as_str());
    jwk["use"] = json!("sig");
    Ok(jwk)
}

/// RFC 7638: SHA-256 over the required members in lexicographic order, no
/// white space, base64url. `required` must hold only those members. The keys
/// are sorted here, whatever order the JSON object keeps.
pub fn thumbprint(required: &Value) -> String {
    let sorted: std::collections::BTreeMap<&String, &Value> = required
        .as_object()
        .map(|o| o.iter().collect())
        .unwrap_or_default();
    let canonical = serde_json::to_string(&sorted).unwrap_or_default();
    b64(&Sha256::digest(canonical.as_bytes()))
}

/// The key-encryption key from KEYWARD_KEY_ENCRYPTION_KEY: 32 bytes, given as
/// 64 hex digits or base64 (standard or URL-safe).
#[derive(Clone)]
pub struct KeyEncryptionKey([u8; 32]);

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(***)")
    }
}

const ENCRYPTED_PREFIX: &str = "aes256gcm:";

impl KeyEncryptionKey {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let bytes = if raw.len() == 64 && raw.chars().all(|c| c.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&raw[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|e| e.to_string())?
        } else {
            STANDARD
                .decode(raw)
                .or_else(|_| URL_SAFE_NO_PAD.decode(raw.trim_end_matches('=')))
                .map_err(|_| "is neither 64 hex digits nor base64".to_string())?
        };
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("must be 32 bytes (256 bits), not {}", b.len()))?;
        Ok(KeyEncryptionKey(key))
    }

    /// Encrypts a private key; the kid is bound in as associated data, so a
    /// ciphertext cannot be moved to another key's row.
    pub fn encrypt(&self, kid: &str, plaintext: &[u8]) -> Result<String, KeyError> {
        Ok(format!(
            "{ENCRYPTED_PREFIX}{}",
            self.seal(kid.as_bytes(), plaintext)?
        ))
    }

    pub fn decrypt(&self, kid: &str, stored: &str) -> Result<Vec<u8>, KeyError> {
        let malformed = |reason: &str| KeyError::Malformed {
            kid: kid.to_owned(),
            reason: reason.to_owned(),
        };
        let body = stored
            .strip_prefix(ENCRYPTED_PREFIX)
            .ok_or_else(|| malformed("no encryption prefix"))?;
        self.open(kid.as_bytes(), body).map_err(|e| match e {
            seal::OpenError::Malformed => malformed("not an encrypted value"),
            seal::OpenError::WrongKey => KeyError::WrongEncryptionKey {
                kid: kid.to_owned(),
            },
        })
    }

    /// Seals any server secret under this key (see [`seal`]).
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<String, openssl::error::ErrorStack> {
        seal::seal(&self.0, aad, plaintext)
    }

    pub fn open(&self, aad: &[u8], sealed: &str) -> Result<Vec<u8>, seal::OpenError> {
        seal::open(&self.0, aad, sealed)
    }
}

/// What goes into the `private_key` column: the PEM, or its encryption.
pub fn seal_private_key(
    kek: Option<&KeyEncryptionKey>,
    kid: &str,
    pem: &str,
) -> Result<(String, bool), KeyError> {
    match kek {
        Some(k) => Ok((k.encrypt(kid, pem.as_bytes())?, true)),
        None => Ok((pem.to_owned(), false)),
    }
}

/// The PKCS#8 PEM from the `private_key` column.
pub fn open_private_key(
    kek: Option<&KeyEncryptionKey>,
    kid: &str,
    stored: &str,
    encrypted: bool,
) -> Result<String, KeyError> {
    if !encrypted {
        return Ok(stored.to_owned());
    }
    let kek = kek.ok_or_else(|| KeyError::EncryptionKeyMissing {
        kid: kid.to_owned(),
    })?;
    String::from_utf8(kek.decrypt(kid, stored)?).map_err(|_| KeyError::Malformed {
        kid: kid.to_owned(),
        reason: "the decrypted key is not text".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_example_thumbprint() {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let required = json!({ "kty": "RSA", "n": n, "e": "AQAB" });
        assert_eq!(
            thumbprint(&required),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn generated_keys_have_public_jwks_and_thumbprint_kids() {
        for alg in Algorithm::ALL {
            let key = generate(alg, 2048).unwrap();
            assert!(
                key.private_pem.starts_with("-----BEGIN PRIVATE KEY-----"),
                "{alg}"
            );
            let jwk = &key.public_jwk;
            assert_eq!(jwk["kid"], key.kid.as_str());
            assert_eq!(jwk["alg"], alg.as_str());
            assert_eq!(jwk["use"], "sig");
            for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
                assert!(jwk.get(private).is_none(), "{alg} JWK leaks {private}");
            }
            assert_eq!(key.kid.len(), 43, "base64url SHA-256");
        }
        let ec = generate(Algorithm::ES256, 0).unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(ec.public_jwk["x"].as_str().unwrap())
                .unwrap()
                .len(),
            32
        );
        assert!(matches!(
            generate(Algorithm::RS256, 1024),
            Err(KeyError::RsaSize(1024))
        ));
    }

    #[test]
    fn algorithm_names_parse() {
        assert_eq!("EdDSA".parse::<Algorithm>().unwrap(), Algorithm::EdDSA);
        assert!("HS256".parse::<Algorithm>().is_err());
        assert!("none".parse::<Algorithm>().is_err());
    }

    #[test]
    fn private_keys_encrypt_and_only_the_right_key_decrypts() {
        let kek = KeyEncryptionKey::parse(&"ab".repeat(32)).unwrap();
        let other = KeyEncryptionKey::parse(&STANDARD.encode([7u8; 32])).unwrap();
        let (sealed, encrypted) = seal_private_key(Some(&kek), "kid1", "PEM").unwrap();
        assert!(encrypted && sealed.starts_with(ENCRYPTED_PREFIX) && !sealed.contains("PEM"));
        assert_eq!(
            open_private_key(Some(&kek), "kid1", &sealed, true).unwrap(),
            "PEM"
        );
        assert!(matches!(
            open_private_key(Some(&other), "kid1", &sealed, true),
            Err(KeyError::WrongEncryptionKey { .. })
        ));
        assert!(matches!(
            open_private_key(None, "kid1", &sealed, true),
            Err(KeyError::EncryptionKeyMissing { .. })
        ));
        // Bound to its kid.
        assert!(open_private_key(Some(&kek), "kid2", &sealed, true).is_err());
        assert!(KeyEncryptionKey::parse("short").is_err());
        assert!(KeyEncryptionKey::parse(&STANDARD.encode([1u8; 16]))
            .unwrap_err()
            .contains("32 bytes"));
    }
}
