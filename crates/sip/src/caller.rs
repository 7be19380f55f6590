//! The caller's number as the `From` header carries it, read from the header's own text.
//!
//! rsipstack's typed `From` reads a quoted display name up to its first `<`, so a display name
//! such as `"<b>Acme</b>" <sip:+81...@host>` (legal: a quoted string may hold `<`) loses the
//! URI, and it has no user part for a `tel:` URI (RFC 3966, which carriers send). Either way
//! the caller would look as if they had withheld their number. The display name is the
//! caller's to choose, so nothing in it may decide what the number is.

/// What identifies the caller in a `From` (or `P-Asserted-Identity`) header value, for
/// `callbridge_phone::classify`: the user part of a `sip:`/`sips:` URI (empty when it has
/// none), or a whole `tel:` URI. Another scheme, or no URI at all, gives `""` (read as
/// withheld, as an absent number is).
pub(crate) fn caller_of(header_value: &str) -> String {
    let uri = name_addr_uri(header_value.trim());
    let lower = uri.to_ascii_lowercase();
    if lower.starts_with("tel:") {
        // Parameters (`;phone-context=...`) are the classifier's to read or drop.
        return uri.to_string();
    }
    let rest = if let Some(rest) = lower.strip_prefix("sips:") {
        &uri[uri.len() - rest.len()..]
    } else if let Some(rest) = lower.strip_prefix("sip:") {
        &uri[uri.len() - rest.len()..]
    } else {
        return String::new();
    };
    match rest.split_once('@') {
        Some((user, _host)) => user.split(';').next().unwrap_or_default().to_string(),
        None => String::new(),
    }
}

/// The URI of a `name-addr` (`"Name" <uri>;tag=x`, `Name <uri>`) or an `addr-spec`
/// (`uri;tag=x`, where the header's parameters follow the first `;`).
fn name_addr_uri(value: &str) -> &str {
    let after_name = skip_quoted_display_name(value);
    match after_name.find('<') {
        Some(open) => {
            let inner = &after_name[open + 1..];
            inner
                .find('>')
                .map_or(inner, |close| &inner[..close])
                .trim()
        }
        None => after_name.split(';').next().unwrap_or_default().trim(),
    }
}

/// `value` after a leading quoted string (RFC 3261 `quoted-string`, with `\` escapes); all of
/// `value` when it does not start with one, nothing when the quote never closes.
fn skip_quoted_display_name(value: &str) -> &str {
    let Some(quoted) = value.strip_prefix('"') else {
        return value;
    };
    let mut escaped = false;
    for (i, c) in quoted.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return &quoted[i + 1..],
            _ => {}
        }
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::caller_of;

    #[test]
    fn the_user_part_of_a_sip_uri_whatever_the_display_name_holds() {
        let plain = r#""Customer" <sip:+819012345678@10.0.0.1:5060>;tag=1"#;
        assert_eq!(caller_of(plain), "+819012345678");
        let markup = r#""<script>alert(1)</script>" <sip:+819012345678@127.0.0.1>;tag=a"#;
        assert_eq!(caller_of(markup), "+819012345678");
        let escaped = r#""say \"<hi>\"" <sip:0312345678@host;user=phone>;tag=b"#;
        assert_eq!(caller_of(escaped), "0312345678");
        let token_name = "Acme Corp <sips:+15551234567;isub=12@carrier.example>;tag=c";
        assert_eq!(caller_of(token_name), "+15551234567");
        let addr_spec = "sip:+442071234567@carrier.example;tag=d";
        assert_eq!(caller_of(addr_spec), "+442071234567");
        let upper = "<SIP:+442071234567@carrier.example>";
        assert_eq!(caller_of(upper), "+442071234567");
    }

    #[test]
    fn a_tel_uri_is_handed_on_whole() {
        assert_eq!(
            caller_of("<tel:+81-90-1234-5678>;tag=e"),
            "tel:+81-90-1234-5678"
        );
        assert_eq!(
            caller_of(r#""x" <tel:5678;phone-context=+8190123>;tag=f"#),
            "tel:5678;phone-context=+8190123"
        );
    }

    #[test]
    fn no_user_part_another_scheme_or_a_broken_header_give_nothing() {
        assert_eq!(caller_of("<sip:carrier.example>;tag=g"), "");
        assert_eq!(caller_of("<mailto:a@b>;tag=h"), "");
        assert_eq!(caller_of(r#""never closed <sip:+15551234567@x>"#), "");
        assert_eq!(caller_of(""), "");
        assert_eq!(
            caller_of(r#""Anonymous" <sip:anonymous@anonymous.invalid>;tag=i"#),
            "anonymous"
        );
    }
}
