//! Compact JWS: sign claims with a loaded key, verify a token against the key
//! its `kid` names. RS256 and ES256 go through biscuit's signature primitives;
//! EdDSA (Ed25519), which biscuit 0.8 does not implement, through openssl.
//!
//! Verification trusts nothing in the header but the `kid`: the key decides the
//! algorithm, and a header that claims another (`none`, HS256 with the public
//! key as an HMAC secret, ...) is rejected before any signature check.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use biscuit::jwa::SignatureAlgorithm;
use biscuit::jws::Secret;
use openssl::pkey::{PKey, Private};
use openssl::sign::{Signer as OsslSigner, Verifier as OsslVerifier};
use serde_json::{json, Map, Value};

use super::keys::{public_jwk, Algorithm, KeyError};

/// A signing key parsed once and kept in memory.
pub struct LoadedKey {
    pub kid: String,
    pub alg: Algorithm,
    pub public_jwk: Value,
    signer: Signer,
}

enum Signer {
    Biscuit(Secret, SignatureAlgorithm),
    Ed25519(PKey<Private>),
}

impl std::fmt::Debug for LoadedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl LoadedKey {
    /// Parses a PKCS#8 PEM private key. The kid must be the key's RFC 7638
    /// thumbprint, so a row whose key and kid disagree is refused.
    pub fn from_pem(kid: &str, alg: Algorithm, pem: &str) -> Result<Self, KeyError> {
        let malformed = |reason: String| KeyError::Malformed {
            kid: kid.to_owned(),
            reason,
        };
        let pkey =
            PKey::private_key_from_pem(pem.as_bytes()).map_err(|e| malformed(e.to_string()))?;
        let jwk = public_jwk(&pkey, alg).map_err(|e| malformed(e.to_string()))?;
        if jwk["kid"] != kid {
            return Err(malformed("the kid is not the key's thumbprint".into()));
        }
        let signer = match alg {
            Algorithm::RS256 => {
                let der = pkey.private_key_to_pkcs8()?;
                let pair = ring::signature::RsaKeyPair::from_pkcs8(&der)
                    .map_err(|e| malformed(format!("RSA key rejected: {e}")))?;
                Signer::Biscuit(
                    Secret::RsaKeyPair(Arc::new(pair)),
                    SignatureAlgorithm::RS256,
                )
            }
            Algorithm::ES256 => {
                let der = pkey.private_key_to_pkcs8()?;
                let pair = ring::signature::EcdsaKeyPair::from_pkcs8(
                    &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &der,
                    &ring::rand::SystemRandom::new(),
                )
                .map_err(|e| malformed(format!("EC key rejected: {e}")))?;
                Signer::Biscuit(
                    Secret::EcdsaKeyPair(Arc::new(pair)),
                    SignatureAlgorithm::ES256,
                )
            }
            Algorithm::EdDSA => Signer::Ed25519(pkey),
        };
        Ok(LoadedKey {
            kid: kid.to_owned(),
            alg,
            public_jwk: jwk,
            signer,
        })
    }

    fn sign_bytes(&self, data: &[u8]) -> Result<Vec<u8>, JwtError> {
        match &self.signer {
            Signer::Biscuit(secret, alg) => alg
                .sign(data, secret)
                .map_err(|e| JwtError::Signing(e.to_string())),
            Signer::Ed25519(pkey) => {
                let mut signer = OsslSigner::new_without_digest(pkey)
                    .map_err(|e| JwtError::Signing(e.to_string()))?;
                signer
                    .sign_oneshot_to_vec(data)
                    .map_err(|e| JwtError::Signing(e.to_string()))
            }
        }
    }

    fn verify_bytes(&self, data: &[u8], signature: &[u8]) -> bool {
        match &self.signer {
            Signer::Biscuit(secret, alg) => alg.verify(signature, data, secret).is_ok(),
            Signer::Ed25519(pkey) => OsslVerifier::new_without_digest(pkey)
                .and_then(|mut v| v.verify_oneshot(signature, data))
                .unwrap_or(false),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("the token is not a compact JWS")]
    Malformed,
    #[error("the token names no key, or a key that is not published")]
    UnknownKey,
    #[error("the token's algorithm does not match its key")]
    AlgorithmMismatch,
    #[error("the token carries critical extensions this server does not understand")]
    UnsupportedCritical,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("signing failed: {0}")]
    Signing(String),
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode_object(part: &str) -> Result<Map<String, Value>, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Malformed)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JwtError::Malformed),
    }
}

/// Signs `claims` as a compact JWS with `alg`, `kid` and `typ` in the header.
pub fn sign(key: &LoadedKey, typ: &str, claims: &Value) -> Result<String, JwtError> {
    let header = json!({ "alg": key.alg.as_str(), "kid": key.kid, "typ": typ });
    let mut out = b64(header.to_string().as_bytes());
    out.push('.');
    out.push_str(&b64(claims.to_string().as_bytes()));
    let signature = key.sign_bytes(out.as_bytes())?;
    out.push('.');
    out.push_str(&b64(&signature));
    Ok(out)
}

/// A token whose signature verified: its header and claims. Time claims
/// (`exp`, `nbf`) are the caller's to check, since what they mean depends on
/// the token's use.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub kid: String,
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
}

/// Verifies `token` with the key that `find_key` returns for its `kid`.
pub fn verify<F>(token: &str, find_key: F) -> Result<Verified, JwtError>
where
    F: FnOnce(&str) -> Option<Arc<LoadedKey>>,
{
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header = decode_object(h)?;
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or(JwtError::UnknownKey)?;
    let key = find_key(kid).ok_or(JwtError::UnknownKey)?;
    if header.get("alg").and_then(Value::as_str) != Some(key.alg.as_str()) {
        return Err(JwtError::AlgorithmMismatch);
    }
    if header.contains_key("crit") {
        return Err(JwtError::UnsupportedCritical);
    }
    let signature = URL_SAFE_NO_PAD.decode(s).map_err(|_| JwtError::Malformed)?;
    let signing_input = &token[..h.len() + 1 + p.len()];
    if !key.verify_bytes(signing_input.as_bytes(), &signature) {
        return Err(JwtError::BadSignature);
    }
    let claims = decode_object(p)?;
    Ok(Verified {
        kid: kid.to_owned(),
        header,
        claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::generate;

    fn load(alg: Algorithm) -> Arc<LoadedKey> {
        let g = generate(alg, 2048).unwrap();
        Arc::new(LoadedKey::from_pem(&g.kid, alg, &g.private_pem).unwrap())
    }

    fn finder(keys: &[Arc<LoadedKey>]) -> impl Fn(&str) -> Option<Arc<LoadedKey>> + '_ {
        move |kid| keys.iter().find(|k| k.kid == kid).cloned()
    }

    fn part(v: &Value) -> String {
        b64(v.to_string().as_bytes())
    }

    #[test]
    fn every_algorithm_signs_and_verifies() {
        for alg in Algorithm::ALL {
            let key = load(alg);
            let claims = json!({ "sub": "u1", "iss": "https://id.example", "n": 1 });
            let token = sign(&key, "JWT", &claims).unwrap();
            let keys = [key.clone()];
            let v = verify(&token, finder(&keys)).unwrap_or_else(|e| panic!("{alg}: {e}"));
            assert_eq!(v.kid, key.kid);
            assert_eq!(v.header["alg"], alg.as_str());
            assert_eq!(v.header["typ"], "JWT");
            assert_eq!(Value::Object(v.claims), claims);
        }
    }

    #[test]
    fn tampered_payloads_are_rejected() {
        for alg in Algorithm::ALL {
            let key = load(alg);
            let token = sign(&key, "JWT", &json!({ "sub": "alice" })).unwrap();
            let parts: Vec<&str> = token.split('.').collect();
            let forged = format!(
                "{}.{}.{}",
                parts[0],
                part(&json!({ "sub": "mallory" })),
                parts[2]
            );
            let keys = [key];
            assert_eq!(
                verify(&forged, finder(&keys)),
                Err(JwtError::BadSignature),
                "{alg}"
            );
            // A flipped signature byte fails too.
            let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
            sig[0] ^= 1;
            let flipped = format!("{}.{}.{}", parts[0], parts[1], b64(&sig));
            assert_eq!(
                verify(&flipped, finder(&keys)),
                Err(JwtError::BadSignature),
                "{alg}"
            );
        }
    }

    #[test]
    fn alg_none_is_rejected() {
        let key = load(Algorithm::RS256);
        let header = part(&json!({ "alg": "none", "kid": key.kid, "typ": "JWT" }));
        let token = format!("{header}.{}.", part(&json!({ "sub": "x" })));
        let keys = [key];
        assert_eq!(
            verify(&token, finder(&keys)),
            Err(JwtError::AlgorithmMismatch)
        );
    }

    /// The classic confusion attack: HS256 keyed with the RSA public key.
    #[test]
    fn hs256_with_the_public_key_as_secret_is_rejected() {
        use openssl::hash::MessageDigest;
        use openssl::sign::Signer;
        let key = load(Algorithm::RS256);
        let header = part(&json!({ "alg": "HS256", "kid": key.kid, "typ": "JWT" }));
        let input = format!("{header}.{}", part(&json!({ "sub": "admin" })));
        let secret = PKey::hmac(key.public_jwk.to_string().as_bytes()).unwrap();
        let mut mac = Signer::new(MessageDigest::sha256(), &secret).unwrap();
        mac.update(input.as_bytes()).unwrap();
        let token = format!("{input}.{}", b64(&mac.sign_to_vec().unwrap()));
        let keys = [key];
        assert_eq!(
            verify(&token, finder(&keys)),
            Err(JwtError::AlgorithmMismatch)
        );
    }

    #[test]
    fn unknown_and_missing_kids_are_rejected() {
        let key = load(Algorithm::ES256);
        let other = load(Algorithm::ES256);
        let token = sign(&other, "JWT", &json!({})).unwrap();
        let keys = [key.clone()];
        assert_eq!(verify(&token, finder(&keys)), Err(JwtError::UnknownKey));
        let header = part(&json!({ "alg": "ES256" }));
        let no_kid = format!("{header}.{}.{}", part(&json!({})), b64(b"sig"));
        assert_eq!(verify(&no_kid, finder(&keys)), Err(JwtError::UnknownKey));
    }

    #[test]
    fn a_key_signs_only_as_its_own_algorithm() {
        // An ES256 token re-labelled RS256 under an RS256 key's kid must fail.
        let rsa = load(Algorithm::RS256);
        let ec = load(Algorithm::ES256);
        let token = sign(&ec, "JWT", &json!({ "sub": "x" })).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let header = part(&json!({ "alg": "RS256", "kid": rsa.kid, "typ": "JWT" }));
        let relabelled = format!("{header}.{}.{}", parts[1], parts[2]);
        let keys = [rsa, ec];
        assert_eq!(
            verify(&relabelled, finder(&keys)),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn malformed_tokens_and_crit_headers_are_rejected() {
        let key = load(Algorithm::EdDSA);
        let keys = [key.clone()];
        for bad in ["", "a.b", "a.b.c.d", "!!.??.##", "e30.e30.e30"] {
            assert!(verify(bad, finder(&keys)).is_err(), "{bad:?}");
        }
        let header = part(&json!({ "alg": "EdDSA", "kid": key.kid, "crit": ["exp"] }));
        let input = format!("{header}.{}", part(&json!({})));
        let sig = key.sign_bytes(input.as_bytes()).unwrap();
        let token = format!("{input}.{}", b64(&sig));
        assert_eq!(
            verify(&token, finder(&keys)),
            Err(JwtError::UnsupportedCritical)
        );
    }

    #[test]
    fn a_key_whose_kid_is_not_its_thumbprint_is_refused() {
        let g = generate(Algorithm::ES256, 0).unwrap();
        assert!(
            LoadedKey::from_pem("not-the-thumbprint", Algorithm::ES256, &g.private_pem).is_err()
        );
        assert!(LoadedKey::from_pem(&g.kid, Algorithm::RS256, &g.private_pem).is_err());
    }
}
