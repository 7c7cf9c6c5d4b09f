//! `keyward client`: register, list, show, delete and rotate the secret of clients.

use clap::Subcommand;

use super::{open_database, print_json_list, words};
use crate::api::clients::ClientOut;
use crate::app::config::Config;
use crate::store::audit::Actor;
use crate::store::clients::Client;

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

fn print_client(c: &Client, secret: Option<&str>, json: bool) -> anyhow::Result<()> {
    let view = ClientOut::from(c);
    if json {
        let mut doc = serde_json::to_value(&view)?;
        if let Some(s) = secret {
            doc["client_secret"] = serde_json::json!(s);
        }
        println!("{doc}");
        return Ok(());
    }
    let words = |items: &[String]| items.join(" ");
    let ttl = |t: Option<i64>| t.map_or_else(|| "server default".to_owned(), |t| t.to_string());
    println!("client_id:     {}", view.client_id);
    if let Some(s) = secret {
        println!("client_secret: {s}   (shown once: store it now)");
    }
    let p = &view.policy;
    for (label, shown) in [
        ("name", view.name.clone()),
        ("type", view.client_type.clone()),
        ("redirect URIs", words(&view.redirect_uris)),
        ("post-logout URIs", words(&view.post_logout_redirect_uris)),
        ("grant types", words(&view.grant_types)),
        ("auth method", view.token_endpoint_auth_method.clone()),
        ("scopes", words(&p.scopes)),
        ("default scopes", words(&p.default_scopes)),
        ("PKCE required", p.require_pkce.to_string()),
        ("consent", p.consent_policy.clone()),
        ("token format", p.token_format.clone()),
        ("access TTL (s)", ttl(p.access_token_ttl)),
        ("refresh TTL (s)", ttl(p.refresh_token_ttl)),
    ] {
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
                let rows: Vec<ClientOut> = all.iter().map(ClientOut::from).collect();
                print_json_list(&rows)?;
            } else if all.is_empty() {
                println!("no clients yet (keyward client add --name NAME --redirect-uri URI)");
            } else {
                println!("{:<28} {:<13} {:<24} NAME", "CLIENT_ID", "TYPE", "GRANTS");
                for c in all {
                    println!(
                        "{:<28} {:<13} {:<24} {}",
                        c.id,
                        c.client_type,
                        c.grant_types.as_text().replace(' ', ","),
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
