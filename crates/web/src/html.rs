//! Text placed into the HTML pages the web edge writes itself (the CRM-link pages, the recording
//! page): every value that did not come from this crate's own string constants goes through
//! [`escape`], so a contact name or a CRM's answer is shown as text, never read as markup.

/// `text` with the five characters that can end a text node or an attribute value replaced by
/// their entities.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_and_quotes_become_text() {
        assert_eq!(
            escape(r#"<img src=x onerror="alert('1')">&"#),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;"
        );
        assert_eq!(escape("Tanaka 田中"), "Tanaka 田中");
    }
}
