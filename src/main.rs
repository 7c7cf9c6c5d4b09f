//! The `keyward` command: the server and its administrative subcommands. Every
//! subcommand reads the same configuration as the server (environment
//! variables) and applies pending migrations before it touches the database.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use keyward::config::Config;
use keyward::startup::Application;

#[derive(Parser)]
#[command(
    name = "keyward",
    version,
    about = "Keyward: a self-hosted OAuth 2.0 and OpenID Connect provider",
    after_help = "Configuration comes from the environment: KEYWARD_BIND (default 127.0.0.1:8080), \
DATABASE_URL (default keyward.db, a SQLite file; postgres://... selects PostgreSQL), \
KEYWARD_ISSUER, KEYWARD_LOG, KEYWARD_DB_POOL_SIZE, KEYWARD_BCRYPT_COST. See README.md."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (the default when no subcommand is given).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("keyward: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config.log_filter);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => migrate(&config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and its causes, outermost first.
            let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
            eprintln!("keyward: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn serve(config: Config) -> anyhow::Result<()> {
    let bind = config.bind;
    let database = config.database_url.redacted();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config)?;
        println!("Keyward is listening on http://{bind} (database: {database})");
        app.run_until_stopped().await?;
        tracing::info!("stopped");
        Ok(())
    })
}

fn migrate(config: &Config) -> anyhow::Result<()> {
    let mut conn = keyward::db::connect_or_create(&config.database_url)?;
    let applied = keyward::db::run_migrations(&mut conn)?;
    println!(
        "{} migration(s) applied to {} ({})",
        applied.len(),
        config.database_url.redacted(),
        conn.backend_name()
    );
    Ok(())
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
