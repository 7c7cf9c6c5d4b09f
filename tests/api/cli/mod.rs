//! The keyward binary as an operator runs it.

mod clients;
mod commands;
