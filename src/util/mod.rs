//! Leaves with no knowledge of the rest: time formatting and the local HTTP
//! probe.

pub mod net;
pub mod probe;
pub mod text;
pub mod time;
