//! Signing keys: the in-memory ring that signs and serves the JWKS, and their
//! lifecycle (rotate, retire, revoke, expire).

pub mod lifecycle;
pub mod ring;
