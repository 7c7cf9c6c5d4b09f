//! Rules for text people type, shared by every way in (pages, admin API,
//! CLI), written so the admin API's OpenAPI document can state them
//! exactly: a length counts characters as given, and "blank" is what the
//! document's `\S` pattern calls white space.

/// Whether `s` has no character but white space: Unicode `White_Space`,
/// plus the information separators U+001C to U+001F, which regular
/// expressions (and so the OpenAPI document's `\S`) count as white space.
pub fn is_blank(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_only_white_space() {
        for blank in ["", " ", "\t\n", "\u{3000}", "\u{1c}\u{1f}", "\u{a0}"] {
            assert!(is_blank(blank), "{blank:?}");
        }
        for text in ["a", " a ", "\u{200b}", "-"] {
            assert!(!is_blank(text), "{text:?}");
        }
    }
}
