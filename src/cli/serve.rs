//! `keyward serve`, `keyward migrate` and `keyward health`.

use crate::app::config::Config;
use crate::app::startup::Application;

pub fn serve(config: Config) -> anyhow::Result<()> {
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

pub fn migrate(config: &Config) -> anyhow::Result<()> {
    let mut conn = crate::db::connect_or_create(&config.database_url)?;
    let applied = crate::db::run_migrations(&mut conn)?;
    println!(
        "{} migration(s) applied to {} ({})",
        applied.len(),
        config.database_url.redacted(),
        conn.backend_name()
    );
    Ok(())
}

pub fn health(config: &Config, ready: bool) -> anyhow::Result<()> {
    let path = if ready { "/readyz" } else { "/healthz" };
    let target = crate::util::probe::local_target(config.bind);
    let status = crate::util::probe::http_status(target, path, std::time::Duration::from_secs(3))
        .map_err(|e| anyhow::anyhow!("{path} at {target}: {e}"))?;
    if status != 200 {
        anyhow::bail!("{path} at {target} answered {status}");
    }
    println!("{path}: {status}");
    Ok(())
}
