//! CSV (RFC 4180) that is safe to open in a spreadsheet: the one writer for every export
//! (`callbridge listen-audit --csv`, the console's audit exports).

/// One field, quoted when it must be. A value beginning with `=`, `+`, `-` or `@` gets a leading
/// `'`, so a spreadsheet never runs a viewer-chosen value (a CRM user name, a reason) as a
/// formula.
pub fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// One record: the fields joined by commas (no line end).
pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    fields
        .iter()
        .map(|f| field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_when_they_must_be_and_formulas_are_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        for risky in ["=1+1", "+81312345000", "-2", "@SUM(A1)"] {
            assert_eq!(field(risky), format!("'{risky}"));
        }
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(line(&["a", "=b", "c,d"]), "a,'=b,\"c,d\"");
        assert_eq!(field(""), "");
    }
}
