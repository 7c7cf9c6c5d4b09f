//! Cryptographic building blocks: random secrets and their digests.

pub mod secret;
