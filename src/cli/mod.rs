//! The `keyward` subcommands, one file per noun. Every subcommand reads the
//! same configuration as the server (environment variables) and applies
//! pending migrations before it touches the database.

mod apikey;
mod client;
mod key;
mod scope;
mod serve;
mod settings;
mod setup;
mod user;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::config::Config;
use crate::db::DbConn;

#[derive(Parser)]
#[command(
    name = "keyward",
    version,
    about = "Keyward: a self-hosted OAuth 2.0 and OpenID Connect provider",
    after_help = "Configuration comes from the environment: KEYWARD_BIND (default 127.0.0.1:8080), \
DATABASE_URL (default keyward.db, a SQLite file; postgres://... selects PostgreSQL), \
KEYWARD_ISSUER, KEYWARD_LOG, KEYWARD_DB_POOL_SIZE, KEYWARD_BCRYPT_COST. See README.md."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Start the server (the default when no subcommand is given).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage signing keys.
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Print a new one-time setup link (the previous one stops working).
    SetupCode,
    /// Complete first-run setup without the browser; the admin password is
    /// read from standard input (one line).
    Setup {
        /// Organisation name.
        #[arg(long)]
        org: String,
        /// Issuer URL: https, or http on localhost/127.0.0.1.
        #[arg(long)]
        issuer: String,
        /// The first administrator's username.
        #[arg(long)]
        admin: String,
        #[arg(long)]
        email: String,
        /// Signing algorithm of the first key.
        #[arg(long, default_value = "RS256", value_parser = ["RS256", "ES256", "EdDSA"])]
        alg: String,
    },
    /// Manage user accounts.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Manage OAuth clients (the apps that sign in through Keyward).
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Manage scopes and the claims they release.
    #[command(subcommand)]
    Scope(scope::ScopeCommand),
    /// Manage admin API keys.
    #[command(subcommand)]
    Apikey(apikey::ApiKeyCommand),
    /// Show and change the server-wide settings.
    #[command(subcommand)]
    Settings(settings::SettingsCommand),
    /// Ask the running server (at KEYWARD_BIND) whether it is up; exit 0 if so.
    /// For container health checks.
    Health {
        /// Check readiness (/readyz: the database answers) instead of liveness.
        #[arg(long)]
        ready: bool,
    },
}

/// Runs one subcommand; errors print as one line, outermost cause first.
pub fn run(cli: Cli, config: Config) -> ExitCode {
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve::serve(config),
        Command::Migrate => serve::migrate(&config),
        Command::Health { ready } => serve::health(&config, ready),
        Command::Key(cmd) => key::run(&config, cmd),
        Command::User(cmd) => user::run(&config, cmd),
        Command::Client(cmd) => client::run(&config, cmd),
        Command::Scope(cmd) => open_database(&config).and_then(|mut c| scope::run(&mut c, cmd)),
        Command::Apikey(cmd) => open_database(&config).and_then(|mut c| apikey::run(&mut c, cmd)),
        Command::Settings(cmd) => {
            open_database(&config).and_then(|mut c| settings::run(&mut c, cmd))
        }
        Command::SetupCode => setup::setup_code(&config),
        Command::Setup {
            org,
            issuer,
            admin,
            email,
            alg,
        } => setup::headless_setup(&config, org, issuer, admin, email, alg),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
            eprintln!("keyward: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}

/// Logs to standard error, filtered by KEYWARD_LOG (info when it does not parse).
pub fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
}

/// A migrated connection, for subcommands that use the database.
pub(crate) fn open_database(config: &Config) -> anyhow::Result<DbConn> {
    let mut conn = crate::db::connect_or_create(&config.database_url)?;
    crate::db::run_migrations(&mut conn)?;
    Ok(conn)
}

/// The password for `user add` and `user passwd`: one line of standard input,
/// or a generated one (returned with `true`, to be printed once).
pub(crate) fn password_input(generate: bool) -> anyhow::Result<(String, bool)> {
    use std::io::{BufRead, IsTerminal};
    if generate || std::io::stdin().is_terminal() {
        return Ok((crate::idm::accounts::generate_password(), true));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        anyhow::bail!("no password on standard input (or use --generate)");
    }
    Ok((password, false))
}

/// A listing as `--json` prints it: the admin API's view of each item.
pub(crate) fn print_json_list<T: serde::Serialize>(rows: &[T]) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(rows)?);
    Ok(())
}

/// "a b,c" and ["a", "b,c"] both mean [a, b, c].
pub(crate) fn words<S: AsRef<str>>(values: &[S]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| {
            v.as_ref()
                .split([' ', ','])
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
