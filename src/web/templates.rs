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
        "sessions.html",
        include_str!("../../templates/sessions.html"),
    ),
    (
        "pages/setup/steps.html",
        include_str!("../../templates/pages/setup/steps.html"),
    ),
    (
        "pages/setup/org.html",
        include_str!("../../templates/pages/setup/org.html"),
    ),
    (
        "pages/setup/admin.html",
        include_str!("../../templates/pages/setup/admin.html"),
    ),
    (
        "pages/setup/key.html",
        include_str!("../../templates/pages/setup/key.html"),
    ),
    (
        "pages/setup/done.html",
        include_str!("../../templates/pages/setup/done.html"),
    ),
    (
        "pages/login.html",
        include_str!("../../templates/pages/login.html"),
    ),
    (
        "pages/portal.html",
        include_str!("../../templates/pages/portal.html"),
    ),
    (
        "pages/account.html",
        include_str!("../../templates/pages/account.html"),
    ),
    (
        "pages/consent.html",
        include_str!("../../templates/pages/consent.html"),
    ),
    (
        "pages/logout_confirm.html",
        include_str!("../../templates/pages/logout_confirm.html"),
    ),
    (
        "pages/logged_out.html",
        include_str!("../../templates/pages/logged_out.html"),
    ),
    (
        "admin/dashboard.html",
        include_str!("../../templates/admin/dashboard.html"),
    ),
    (
        "admin/clients/list.html",
        include_str!("../../templates/admin/clients/list.html"),
    ),
    (
        "admin/clients/new.html",
        include_str!("../../templates/admin/clients/new.html"),
    ),
    (
        "admin/clients/show.html",
        include_str!("../../templates/admin/clients/show.html"),
    ),
    (
        "admin/clients/policy.html",
        include_str!("../../templates/admin/clients/policy.html"),
    ),
    (
        "admin/keys/list.html",
        include_str!("../../templates/admin/keys/list.html"),
    ),
    (
        "admin/audit/list.html",
        include_str!("../../templates/admin/audit/list.html"),
    ),
    (
        "admin/scopes/list.html",
        include_str!("../../templates/admin/scopes/list.html"),
    ),
    (
        "admin/scopes/edit.html",
        include_str!("../../templates/admin/scopes/edit.html"),
    ),
    (
        "admin/users/list.html",
        include_str!("../../templates/admin/users/list.html"),
    ),
    (
        "admin/users/new.html",
        include_str!("../../templates/admin/users/new.html"),
    ),
    (
        "admin/users/show.html",
        include_str!("../../templates/admin/users/show.html"),
    ),
    (
        "admin/confirm.html",
        include_str!("../../templates/admin/confirm.html"),
    ),
    (
        "admin/apikeys/list.html",
        include_str!("../../templates/admin/apikeys/list.html"),
    ),
    (
        "admin/settings/edit.html",
        include_str!("../../templates/admin/settings/edit.html"),
    ),
    (
        "admin/clients/delete.html",
        include_str!("../../templates/admin/clients/delete.html"),
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
