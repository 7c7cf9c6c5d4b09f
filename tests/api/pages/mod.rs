//! The pages people see: setup, sign-in, sessions, the account page.

mod sessions;
mod setup_and_sign_in;
