//! AES-256-GCM sealing: a random 96-bit nonce, the ciphertext and the tag in
//! one base64 string, with associated data that binds a sealed value to where
//! it is kept (a key's kid, a setting's name), so it cannot be moved to
//! another row and still open.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use openssl::symm::{decrypt_aead, encrypt_aead, Cipher};
use sha2::{Digest, Sha256};

const NONCE: usize = 12;
const TAG: usize = 16;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpenError {
    #[error("not a sealed value")]
    Malformed,
    /// The key is not the one it was sealed with, or the value was altered.
    #[error("the key does not open it")]
    WrongKey,
}

/// Seals `plaintext` under `key`.
pub fn seal(
    key: &[u8; 32],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<String, openssl::error::ErrorStack> {
    let mut nonce = [0u8; NONCE];
    openssl::rand::rand_bytes(&mut nonce)?;
    let mut tag = [0u8; TAG];
    let ct = encrypt_aead(
        Cipher::aes_256_gcm(),
        key,
        Some(&nonce),
        aad,
        plaintext,
        &mut tag,
    )?;
    let mut out = Vec::with_capacity(NONCE + ct.len() + TAG);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out.extend_from_slice(&tag);
    Ok(STANDARD.encode(out))
}

/// Opens what [`seal`] made with the same key and associated data.
pub fn open(key: &[u8; 32], aad: &[u8], sealed: &str) -> Result<Vec<u8>, OpenError> {
    let raw = STANDARD.decode(sealed).map_err(|_| OpenError::Malformed)?;
    if raw.len() < NONCE + TAG {
        return Err(OpenError::Malformed);
    }
    let (nonce, rest) = raw.split_at(NONCE);
    let (ct, tag) = rest.split_at(rest.len() - TAG);
    decrypt_aead(Cipher::aes_256_gcm(), key, Some(nonce), aad, ct, tag)
        .map_err(|_| OpenError::WrongKey)
}

/// A 256-bit key derived from a high-entropy secret (a session id) for one
/// purpose: whoever lacks the secret cannot derive it.
pub fn derive_key(purpose: &str, secret: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(purpose.as_bytes());
    h.update([0u8]);
    h.update(secret.as_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_with_the_same_key_and_data_only() {
        let key = [7u8; 32];
        let sealed = seal(&key, b"row-1", b"hello").unwrap();
        assert_eq!(open(&key, b"row-1", &sealed).unwrap(), b"hello");
        assert_eq!(open(&key, b"row-2", &sealed), Err(OpenError::WrongKey));
        assert_eq!(
            open(&[8u8; 32], b"row-1", &sealed),
            Err(OpenError::WrongKey)
        );
        assert_eq!(open(&key, b"row-1", "%%"), Err(OpenError::Malformed));
        assert_ne!(
            sealed,
            seal(&key, b"row-1", b"hello").unwrap(),
            "fresh nonce each time"
        );
    }
}
