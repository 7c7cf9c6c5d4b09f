//! The protocol endpoints: the code flow, token, introspection, revocation,
//! userinfo, logout, discovery and keys, and an independent relying-party
//! library against them.

mod code_flow;
mod correctness;
mod interop;
mod keys;
mod resources;
mod token;
