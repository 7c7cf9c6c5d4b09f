//! `keyward setup-code` and `keyward setup`: first-run setup without a browser.

use super::{open_database, password_input};
use crate::app::config::Config;

pub fn setup_code(config: &Config) -> anyhow::Result<()> {
    let mut conn = open_database(config)?;
    if crate::idm::setup::is_complete(&mut conn)? {
        anyhow::bail!("setup is already complete");
    }
    let code = crate::idm::setup::issue_code(&mut conn, None)?
        .ok_or_else(|| anyhow::anyhow!("no setup code could be made"))?;
    let base = config
        .issuer
        .clone()
        .unwrap_or_else(|| format!("http://{}", crate::util::probe::local_target(config.bind)));
    println!(
        "{}?code={}",
        crate::oidc::discovery::endpoint(&base, "/setup"),
        code.expose()
    );
    Ok(())
}

pub fn headless_setup(
    config: &Config,
    org: String,
    issuer: String,
    admin: String,
    email: String,
    alg: String,
) -> anyhow::Result<()> {
    use crate::idm::setup::{self, AdminPassword, SetupInput};
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
        crate::oidc::discovery::endpoint(
            &done.issuer,
            crate::oidc::discovery::OPENID_CONFIGURATION_PATH
        )
    );
    Ok(())
}
