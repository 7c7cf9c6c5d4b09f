//! The JSON endpoints relying parties and resource servers call: token,
//! introspection, revocation, userinfo, RP-initiated logout and the metadata
//! documents, with the RFC 6750 bearer reader.

pub mod bearer;
pub mod end_session;
pub mod form;
pub mod introspect;
pub mod revoke;
pub mod token;
pub mod userinfo;
pub mod wellknown;
