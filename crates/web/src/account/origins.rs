//! Which web origins may act for a tenant: Callbridge's own (its public URL's) and the CRM
//! instance's (the softphone runs framed inside it). A browser states the page's origin in
//! `Origin` on every cross-origin request and on state-changing and WebSocket requests; a
//! request without one comes from a non-browser client, which cross-site request forgery
//! cannot use.

pub use callbridge_config::origin_of;

/// The tenant's allowed origins, without repeats: Callbridge's, then the CRM's.
pub fn allowed(public_url: &str, crm_instance_url: Option<&str>) -> Vec<String> {
    let mut origins = Vec::new();
    for url in std::iter::once(public_url).chain(crm_instance_url) {
        if let Some(origin) = origin_of(url) {
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
    }
    origins
}

/// What the `Origin` header says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// One of the allowed origins.
    Allowed,
    /// No `Origin`: not a browser page's request.
    Absent,
    /// Another site (or `null`, an opaque origin).
    Foreign,
}

/// Judges the `Origin` header value (`None`: no header) against `allowed`.
pub fn judge(origin: Option<&str>, allowed: &[String]) -> Verdict {
    let Some(origin) = origin else {
        return Verdict::Absent;
    };
    match origin_of(origin) {
        Some(o) if allowed.contains(&o) => Verdict::Allowed,
        _ => Verdict::Foreign,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://Acme.service-now.com/").as_deref(),
            Some("https://acme.service-now.com")
        );
        assert_eq!(
            origin_of("https://cb.example:443/x?y").as_deref(),
            Some("https://cb.example")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("http://h:80").as_deref(), Some("http://h"));
        assert_eq!(origin_of("ftp://h"), None);
        assert_eq!(origin_of("null"), None);
        assert_eq!(origin_of("https://user@h"), None);
    }

    #[test]
    fn callbridge_and_the_crm_are_allowed_and_nobody_else() {
        let allowed = allowed(
            "http://127.0.0.1:8080/",
            Some("https://acme.service-now.com"),
        );
        assert_eq!(
            allowed,
            ["http://127.0.0.1:8080", "https://acme.service-now.com"]
        );
        assert_eq!(
            judge(Some("http://127.0.0.1:8080"), &allowed),
            Verdict::Allowed
        );
        assert_eq!(
            judge(Some("https://acme.service-now.com"), &allowed),
            Verdict::Allowed
        );
        assert_eq!(judge(None, &allowed), Verdict::Absent);
        for foreign in [
            "https://evil.example",
            "null",
            "http://127.0.0.1:8081",
            "https://acme.service-now.com.evil.example",
        ] {
            assert_eq!(
                judge(Some(foreign), &allowed),
                Verdict::Foreign,
                "{foreign}"
            );
        }
        assert_eq!(
            allowed_one("https://a.example", Some("https://a.example/")),
            ["https://a.example"]
        );
    }

    fn allowed_one(a: &str, b: Option<&str>) -> Vec<String> {
        allowed(a, b)
    }
}
