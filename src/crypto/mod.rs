//! Cryptographic building blocks: random secrets and their digests, signing
//! keys, and JWT signing and verification.

pub mod hash_pool;
pub mod jwt;
pub mod keys;
pub mod password;
pub mod seal;
pub mod secret;
