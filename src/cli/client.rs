//! `keyward client`: register, list, show, delete and rotate the secret of clients.

use clap::Subcommand;

use super::{open_database, words};
use crate::app::config::Config;
use crate::store::audit::Actor;

#[derive(Subcommand)]
pub enum ClientCommand {
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
pub struct ClientAddArgs {
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

fn print_client(
    c: &crate::store::clients::Client,
    secret: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let mut doc = crate::idm::clients::to_json(c);
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

pub fn run(config: &Config, cmd: ClientCommand) -> anyhow::Result<()> {
    use crate::idm::clients::{self, ClientSpec};
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
            let all = crate::store::clients::list(&mut conn, None, i64::MAX, 0)?;
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
