//! The composition root: configuration, the state every handler shares,
//! start-up and the background tasks. It wires; it decides nothing.

pub mod config;
pub mod metrics;
pub mod published;
pub mod startup;
pub mod state;
pub mod tasks;
