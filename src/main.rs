//! The `keyward` command: the server and its administrative subcommands. Every
//! subcommand reads the same configuration as the server (environment
//! variables) and applies pending migrations before it touches the database.

mod admin_cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use keyward::app::config::Config;
use keyward::app::startup::Application;
use keyward::store::audit::Actor;

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
    /// Manage signing keys.
    #[command(subcommand)]
    Key(KeyCommand),
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
    User(UserCommand),
    /// Manage OAuth clients (the apps that sign in through Keyward).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage scopes and the claims they release.
    #[command(subcommand)]
    Scope(admin_cli::ScopeCommand),
    /// Manage admin API keys.
    #[command(subcommand)]
    Apikey(admin_cli::ApiKeyCommand),
    /// Ask the running server (at KEYWARD_BIND) whether it is up; exit 0 if so.
    /// For container health checks.
    Health {
        /// Check readiness (/readyz: the database answers) instead of liveness.
        #[arg(long)]
        ready: bool,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// List signing keys (kid, algorithm, status, creation time).
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Generate a new active key for an algorithm; the key it replaces is retired.
    Rotate {
        #[arg(long, default_value = "RS256", value_parser = ["RS256", "ES256", "EdDSA"])]
        alg: String,
        /// RSA modulus size in bits: 2048, 3072 or 4096 (RS256 only).
        #[arg(long, default_value_t = 2048)]
        bits: u32,
    },
    /// Stop a key signing; it stays in the JWKS until its retention ends.
    Retire {
        /// The key's kid (it may start with '-': base64url).
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
    /// Remove a key from the JWKS at once (a compromised key).
    Revoke {
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. The password is read from standard input (one line) when
    /// it is not a terminal; otherwise, or with --generate, one is generated and
    /// printed once.
    Add {
        username: String,
        #[arg(long)]
        email: Option<String>,
        /// Give the user access to the admin area.
        #[arg(long)]
        admin: bool,
        /// Generate the password even if standard input is not a terminal.
        #[arg(long)]
        generate: bool,
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password (standard input or generated, as for `add`); ends
    /// the user's sessions.
    Passwd {
        username: String,
        #[arg(long)]
        generate: bool,
    },
    /// List users.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: sessions end and tokens are revoked.
    Disable { username: String },
    /// Enable a disabled user.
    Enable { username: String },
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Register a client; prints its client_id and, once, its client_secret.
    Add(Box<ClientAddArgs>),
    /// List clients.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one client's settings.
    Show {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete a client with its consents and tokens.
    Delete { client_id: String },
    /// Give a confidential client a new secret; the old one stops working.
    RotateSecret {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct ClientAddArgs {
    #[arg(long)]
    name: String,
    /// A redirect URI (repeat the option for several).
    #[arg(long = "redirect-uri", num_args = 1..)]
    redirect_uris: Vec<String>,
    #[arg(long = "post-logout-redirect-uri", num_args = 1..)]
    post_logout_redirect_uris: Vec<String>,
    /// A public client (no secret, PKCE required), e.g. a browser or native app.
    #[arg(long)]
    public: bool,
    /// Allowed grants: authorization_code, refresh_token, client_credentials, password.
    #[arg(long = "grant-types", num_args = 1..)]
    grant_types: Vec<String>,
    /// client_secret_basic, client_secret_post or none.
    #[arg(long = "auth-method")]
    auth_method: Option<String>,
    /// Allowed scopes, e.g. "openid profile email".
    #[arg(long)]
    scopes: Option<String>,
    /// Scopes granted when a request names none.
    #[arg(long = "default-scopes")]
    default_scopes: Option<String>,
    /// always, once or skip.
    #[arg(long)]
    consent: Option<String>,
    /// opaque or jwt.
    #[arg(long = "token-format")]
    token_format: Option<String>,
    /// Require PKCE from a confidential client too.
    #[arg(long = "require-pkce")]
    require_pkce: bool,
    /// Access-token lifetime in seconds.
    #[arg(long = "access-ttl")]
    access_ttl: Option<i64>,
    /// Refresh-token lifetime in seconds.
    #[arg(long = "refresh-ttl")]
    refresh_ttl: Option<i64>,
    /// May be allowed the `admin` scope (the admin API by client credentials).
    #[arg(long = "admin-capable")]
    admin_capable: bool,
    #[arg(long)]
    json: bool,
}

/// "a b,c" and ["a", "b,c"] both mean [a, b, c].
fn words<S: AsRef<str>>(values: &[S]) -> Vec<String> {
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
        Command::Health { ready } => health(&config, ready),
        Command::Key(cmd) => key(&config, cmd),
        Command::User(cmd) => user(&config, cmd),
        Command::Client(cmd) => client(&config, cmd),
        Command::Scope(cmd) => {
            open_database(&config).and_then(|mut c| admin_cli::scope(&mut c, cmd))
        }
        Command::Apikey(cmd) => {
            open_database(&config).and_then(|mut c| admin_cli::apikey(&mut c, cmd))
        }
        Command::SetupCode => setup_code(&config),
        Command::Setup {
            org,
            issuer,
            admin,
            email,
            alg,
        } => headless_setup(&config, org, issuer, admin, email, alg),
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
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
}

fn serve(config: Config) -> anyhow::Result<()> {
    let bind = config.bind;
    let database = config.database_url.redacted();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config)?;
        println!("Keyward is listening on http://{bind} (database: {database})");
        if let Some(link) = app.setup_link() {
            println!("Finish setup in your browser: {link}");
            println!("(the link works once; `keyward setup-code` prints a new one)");
        }
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

/// A migrated connection, for subcommands that use the database.
fn open_database(config: &Config) -> anyhow::Result<keyward::db::DbConn> {
    let mut conn = keyward::db::connect_or_create(&config.database_url)?;
    keyward::db::run_migrations(&mut conn)?;
    Ok(conn)
}

fn key(config: &Config, cmd: KeyCommand) -> anyhow::Result<()> {
    use keyward::crypto::keys::Algorithm;
    use keyward::keys::lifecycle;
    use keyward::store;
    let mut conn = open_database(config)?;
    match cmd {
        KeyCommand::List { json } => {
            let keys = store::keys::list(&mut conn)?;
            if json {
                let rows: Vec<_> = keys
                    .iter()
                    .map(|k| {
                        serde_json::json!({
                            "kid": k.kid, "alg": k.alg, "status": k.status,
                            "created_at": k.created_at, "retired_at": k.retired_at,
                            "revoked_at": k.revoked_at, "encrypted": k.encrypted,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if keys.is_empty() {
                println!("no signing keys yet (keyward key rotate --alg RS256 creates one)");
            } else {
                println!("{:<44} {:<6} {:<8} CREATED", "KID", "ALG", "STATUS");
                for k in keys {
                    println!(
                        "{:<44} {:<6} {:<8} {}",
                        k.kid,
                        k.alg,
                        k.status,
                        keyward::util::time::rfc3339(k.created_at)
                    );
                }
            }
        }
        KeyCommand::Rotate { alg, bits } => {
            let alg: Algorithm = alg.parse()?;
            let kid = lifecycle::rotate(
                &mut conn,
                config.key_encryption_key.as_ref(),
                alg,
                bits,
                &Actor::cli(),
            )?;
            println!("{kid}");
            eprintln!(
                "new active {alg} key {kid}; running servers pick it up within {}s",
                config.sync_interval_secs
            );
        }
        KeyCommand::Retire { kid } => {
            lifecycle::retire(&mut conn, &kid, &Actor::cli())?;
            println!("retired {kid}");
        }
        KeyCommand::Revoke { kid } => {
            lifecycle::revoke(&mut conn, &kid, &Actor::cli())?;
            println!("revoked {kid}");
        }
    }
    Ok(())
}

/// The password for `user add` and `user passwd`: one line of standard input,
/// or a generated one (returned with `true`, to be printed once).
fn password_input(generate: bool) -> anyhow::Result<(String, bool)> {
    use std::io::{BufRead, IsTerminal};
    if generate || std::io::stdin().is_terminal() {
        return Ok((keyward::idm::accounts::generate_password(), true));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        anyhow::bail!("no password on standard input (or use --generate)");
    }
    Ok((password, false))
}

fn user(config: &Config, cmd: UserCommand) -> anyhow::Result<()> {
    use keyward::idm::accounts::{self, NewAccount};
    use keyward::store::users;
    let mut conn = open_database(config)?;
    let cost = config.bcrypt_cost;
    match cmd {
        UserCommand::Add {
            username,
            email,
            admin,
            generate,
            json,
        } => {
            let (password, generated) = password_input(generate)?;
            let account = NewAccount {
                username: &username,
                email: email.as_deref(),
                password: &password,
                password_confirmation: &password,
                is_admin: admin,
            };
            let user = accounts::create(&mut conn, &account, cost, &Actor::cli())?;
            if json {
                let mut out = serde_json::json!({ "id": user.id, "username": user.username, "email": user.email, "admin": user.is_admin });
                if generated {
                    out["password"] = serde_json::json!(password);
                }
                println!("{out}");
            } else {
                println!("created user {} (id {})", user.username, user.id);
                if generated {
                    println!("password (shown once): {password}");
                }
            }
        }
        UserCommand::Passwd { username, generate } => {
            let user = accounts::find_by_username(&mut conn, &username)?;
            let (password, generated) = password_input(generate)?;
            accounts::set_password(&mut conn, &user, &password, &password, cost, &Actor::cli())?;
            println!(
                "password changed for {}; their sessions have ended",
                user.username
            );
            if generated {
                println!("password (shown once): {password}");
            }
        }
        UserCommand::List { json } => {
            let all = users::list(&mut conn, None, i64::MAX, 0)?;
            if json {
                let rows: Vec<_> = all
                    .iter()
                    .map(|u| {
                        serde_json::json!({
                            "id": u.id, "username": u.username, "email": u.email,
                            "admin": u.is_admin, "disabled": u.disabled,
                            "created_at": u.created_at, "last_login_at": u.last_login_at,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if all.is_empty() {
                println!("no users yet");
            } else {
                println!(
                    "{:<24} {:<32} {:<6} {:<9} CREATED",
                    "USERNAME", "EMAIL", "ADMIN", "DISABLED"
                );
                for u in all {
                    println!(
                        "{:<24} {:<32} {:<6} {:<9} {}",
                        u.username,
                        u.email.as_deref().unwrap_or("-"),
                        if u.is_admin { "yes" } else { "no" },
                        if u.disabled { "yes" } else { "no" },
                        keyward::util::time::rfc3339(u.created_at)
                    );
                }
            }
        }
        UserCommand::Disable { username } => {
            let user = accounts::find_by_username(&mut conn, &username)?;
            accounts::set_disabled(&mut conn, &user, true, &Actor::cli())?;
            println!(
                "disabled {}; their sessions have ended and their tokens are revoked",
                user.username
            );
        }
        UserCommand::Enable { username } => {
            let user = accounts::find_by_username(&mut conn, &username)?;
            accounts::set_disabled(&mut conn, &user, false, &Actor::cli())?;
            println!("enabled {}", user.username);
        }
    }
    Ok(())
}

fn setup_code(config: &Config) -> anyhow::Result<()> {
    let mut conn = open_database(config)?;
    if keyward::idm::setup::is_complete(&mut conn)? {
        anyhow::bail!("setup is already complete");
    }
    let code = keyward::idm::setup::issue_code(&mut conn, None)?;
    let base = config
        .issuer
        .clone()
        .unwrap_or_else(|| format!("http://{}", keyward::util::probe::local_target(config.bind)));
    println!(
        "{}?code={}",
        keyward::oidc::discovery::endpoint(&base, "/setup"),
        code.expose()
    );
    Ok(())
}

fn headless_setup(
    config: &Config,
    org: String,
    issuer: String,
    admin: String,
    email: String,
    alg: String,
) -> anyhow::Result<()> {
    use keyward::idm::setup::{self, AdminPassword, SetupInput};
    let mut conn = open_database(config)?;
    let (password, generated) = password_input(false)?;
    if generated {
        anyhow::bail!("give the admin password on standard input");
    }
    let input = SetupInput {
        org_name: org,
        issuer,
        admin_username: admin,
        admin_email: email,
        admin_password: AdminPassword::Plain {
            password: password.clone(),
            confirmation: password,
        },
        alg: alg.parse()?,
    };
    let done = setup::complete(
        &mut conn,
        input,
        config.key_encryption_key.as_ref(),
        config.bcrypt_cost,
        None,
    )?;
    println!(
        "setup complete: issuer {}, admin {}, signing key {}",
        done.issuer, done.admin.username, done.kid
    );
    println!(
        "discovery: {}",
        keyward::oidc::discovery::endpoint(
            &done.issuer,
            keyward::oidc::discovery::OPENID_CONFIGURATION_PATH
        )
    );
    Ok(())
}

fn print_client(
    c: &keyward::store::clients::Client,
    secret: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let mut doc = keyward::idm::clients::to_json(c);
    if let Some(s) = secret {
        doc["client_secret"] = serde_json::json!(s);
    }
    if json {
        println!("{doc}");
        return Ok(());
    }
    println!("client_id:     {}", c.id);
    if let Some(s) = secret {
        println!("client_secret: {s}   (shown once: store it now)");
    }
    for (key, label) in [
        ("name", "name"),
        ("client_type", "type"),
        ("redirect_uris", "redirect URIs"),
        ("post_logout_redirect_uris", "post-logout URIs"),
        ("grant_types", "grant types"),
        ("token_endpoint_auth_method", "auth method"),
        ("scopes", "scopes"),
        ("default_scopes", "default scopes"),
        ("require_pkce", "PKCE required"),
        ("consent_policy", "consent"),
        ("token_format", "token format"),
        ("access_token_ttl", "access TTL (s)"),
        ("refresh_token_ttl", "refresh TTL (s)"),
    ] {
        let v = &doc[key];
        let shown = match v {
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => "server default".into(),
            other => other.to_string(),
        };
        println!("{:<15} {shown}", format!("{label}:"));
    }
    Ok(())
}

fn client(config: &Config, cmd: ClientCommand) -> anyhow::Result<()> {
    use keyward::idm::clients::{self, ClientSpec};
    let mut conn = open_database(config)?;
    match cmd {
        ClientCommand::Add(args) => {
            let ClientAddArgs {
                name,
                redirect_uris,
                post_logout_redirect_uris,
                public,
                grant_types,
                auth_method,
                scopes,
                default_scopes,
                consent,
                token_format,
                require_pkce,
                access_ttl,
                refresh_ttl,
                admin_capable,
                json,
            } = *args;
            let spec = ClientSpec {
                name,
                public,
                redirect_uris,
                post_logout_redirect_uris,
                grant_types: (!grant_types.is_empty()).then(|| words(&grant_types)),
                auth_method,
                scopes: scopes.map(|s| words(&[s])),
                default_scopes: default_scopes.map(|s| words(&[s])),
                consent,
                token_format,
                require_pkce,
                access_ttl,
                refresh_ttl,
                admin_capable,
            };
            let (client, secret) = clients::create(&mut conn, &spec, &Actor::cli())?;
            print_client(&client, secret.as_ref().map(|s| s.expose()), json)?;
        }
        ClientCommand::List { json } => {
            let all = keyward::store::clients::list(&mut conn, None, i64::MAX, 0)?;
            if json {
                let rows: Vec<_> = all.iter().map(clients::to_json).collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if all.is_empty() {
                println!("no clients yet (keyward client add --name NAME --redirect-uri URI)");
            } else {
                println!("{:<28} {:<13} {:<24} NAME", "CLIENT_ID", "TYPE", "GRANTS");
                for c in all {
                    println!(
                        "{:<28} {:<13} {:<24} {}",
                        c.id,
                        c.client_type,
                        c.grant_types.replace(' ', ","),
                        c.name
                    );
                }
            }
        }
        ClientCommand::Show { client_id, json } => {
            let c = clients::find(&mut conn, &client_id)?;
            print_client(&c, None, json)?;
        }
        ClientCommand::Delete { client_id } => {
            clients::delete(&mut conn, &client_id, &Actor::cli())?;
            println!("deleted {client_id} with its consents and tokens");
        }
        ClientCommand::RotateSecret { client_id, json } => {
            let secret = clients::rotate_secret(&mut conn, &client_id, &Actor::cli())?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "client_id": client_id, "client_secret": secret.expose() })
                );
            } else {
                println!(
                    "client_secret: {}   (shown once; the old secret no longer works)",
                    secret.expose()
                );
            }
        }
    }
    Ok(())
}

fn health(config: &Config, ready: bool) -> anyhow::Result<()> {
    let path = if ready { "/readyz" } else { "/healthz" };
    let target = keyward::util::probe::local_target(config.bind);
    let status = keyward::util::probe::http_status(target, path, std::time::Duration::from_secs(3))
        .map_err(|e| anyhow::anyhow!("{path} at {target}: {e}"))?;
    if status != 200 {
        anyhow::bail!("{path} at {target} answered {status}");
    }
    println!("{path}: {status}");
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
