//! Page templates. They are compiled into the binary (so the release binary runs
//! from any directory) and parsed once per process; Tera autoescapes every
//! `.html` template, so user input never becomes markup.

use std::sync::OnceLock;

use tera::Tera;

/// Every template, by name. A test renders each with a sample context.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("error.html", include_str!("../../templates/error.html")),
    (
        "setup_steps.html",
        include_str!("../../templates/setup_steps.html"),
    ),
    (
        "setup_org.html",
        include_str!("../../templates/setup_org.html"),
    ),
    (
        "setup_admin.html",
        include_str!("../../templates/setup_admin.html"),
    ),
    (
        "setup_key.html",
        include_str!("../../templates/setup_key.html"),
    ),
    (
        "setup_done.html",
        include_str!("../../templates/setup_done.html"),
    ),
    ("login.html", include_str!("../../templates/login.html")),
    ("portal.html", include_str!("../../templates/portal.html")),
    ("account.html", include_str!("../../templates/account.html")),
    ("consent.html", include_str!("../../templates/consent.html")),
    (
        "logout_confirm.html",
        include_str!("../../templates/logout_confirm.html"),
    ),
    (
        "logged_out.html",
        include_str!("../../templates/logged_out.html"),
    ),
    (
        "admin_dashboard.html",
        include_str!("../../templates/admin_dashboard.html"),
    ),
    (
        "admin_clients.html",
        include_str!("../../templates/admin_clients.html"),
    ),
    (
        "admin_client_new.html",
        include_str!("../../templates/admin_client_new.html"),
    ),
    (
        "admin_client.html",
        include_str!("../../templates/admin_client.html"),
    ),
    (
        "admin_client_edit.html",
        include_str!("../../templates/admin_client_edit.html"),
    ),
    (
        "admin_keys.html",
        include_str!("../../templates/admin_keys.html"),
    ),
    (
        "admin_audit.html",
        include_str!("../../templates/admin_audit.html"),
    ),
    (
        "admin_scopes.html",
        include_str!("../../templates/admin_scopes.html"),
    ),
    (
        "admin_scope.html",
        include_str!("../../templates/admin_scope.html"),
    ),
    (
        "admin_users.html",
        include_str!("../../templates/admin_users.html"),
    ),
    (
        "admin_user_new.html",
        include_str!("../../templates/admin_user_new.html"),
    ),
    (
        "admin_user.html",
        include_str!("../../templates/admin_user.html"),
    ),
    (
        "admin_confirm.html",
        include_str!("../../templates/admin_confirm.html"),
    ),
    (
        "admin_apikeys.html",
        include_str!("../../templates/admin_apikeys.html"),
    ),
    (
        "admin_settings.html",
        include_str!("../../templates/admin_settings.html"),
    ),
    (
        "admin_client_delete.html",
        include_str!("../../templates/admin_client_delete.html"),
    ),
];

/// The parsed templates. Parsing cannot fail at run time: the test
/// `templates_parse` checks the embedded sources.
pub fn tera() -> &'static Tera {
    static TERA: OnceLock<Tera> = OnceLock::new();
    TERA.get_or_init(|| parse().unwrap_or_else(|e| panic!("embedded templates are invalid: {e}")))
}

pub fn parse() -> Result<Tera, tera::Error> {
    let mut tera = Tera::default();
    tera.add_raw_templates(TEMPLATES.iter().copied())?;
    tera.set_escape_fn(escape_html);
    Ok(tera)
}

/// Escapes the five characters that matter in HTML text and quoted
/// attributes. Tera's default also turns `/` into `&#x2F;`, which is not
/// needed there and garbles URLs for clients that read our forms' values.
pub fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse() {
        parse().expect("templates parse");
    }

    #[test]
    fn error_page_renders_and_escapes() {
        let mut ctx = tera::Context::new();
        ctx.insert("org_name", "Acme <Ops>");
        ctx.insert("status", &404);
        ctx.insert("title", "Not found");
        ctx.insert("message", "<script>alert(1)</script>");
        let html = tera().render("error.html", &ctx).unwrap();
        assert!(html.contains("Not found"));
        assert!(html.contains("Acme &lt;Ops&gt;"));
        assert!(html.contains("&lt;script&gt;"));
        assert_eq!(
            escape_html("<a href=\"/x?a=1&b='2'\">"),
            "&lt;a href=&quot;/x?a=1&amp;b=&#39;2&#39;&quot;&gt;"
        );
        assert!(!html.contains("<script>alert"));
    }
}
