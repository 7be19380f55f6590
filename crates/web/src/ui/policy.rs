//! What the softphone page's responses say about themselves, as pure functions: its
//! Content-Security-Policy, each file's type and cache lifetime, and whether the client takes
//! gzip.

/// `Cache-Control` of a file: the build names everything under `assets/` after a hash of its
/// content, so those never change and are cached for a year; anything else (`index.html`, which
/// names the current hashes) is revalidated on every use.
pub fn cache_control(path: &str) -> &'static str {
    if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// The short address a page of the bundle is also served at: the softphone's `index.html` at
/// `/`, the console's `console.html` at `/console`.
pub fn page_alias(path: &str) -> Option<&'static str> {
    match path {
        "index.html" => Some("/"),
        "console.html" => Some("/console"),
        _ => None,
    }
}

/// Whether a page may name a tenant's CRM in its policy (`?tenant=`): only the softphone, which
/// the CRM frames (OpenFrame). The console always runs in a tab of its own.
pub fn framed_by_crm(path: &str) -> bool {
    path == "index.html"
}

/// `Content-Type` by file extension (the bundle's kinds; anything else is served as bytes,
/// which `nosniff` keeps from being run).
pub fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match extension.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "wasm" => "application/wasm",
        "txt" => "text/plain; charset=utf-8",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        _ => "application/octet-stream",
    }
}

/// The Content-Security-Policy of every HTML response (`ui/SERVER-CONTRACT.md` section 1).
/// `crm_origin` is the tenant's CRM page origin, chosen by the page's `?tenant=`: its pages may
/// frame the softphone (`frame-ancestors`) and it serves OpenFrame's script (`script-src`).
/// Without it only Callbridge's own origin is allowed.
pub fn content_security_policy(crm_origin: Option<&str>) -> String {
    let crm = crm_origin.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{crm}; connect-src 'self'; img-src 'self' data:; \
         style-src 'self'; media-src 'self' blob:; frame-ancestors 'self'{crm}; base-uri 'none'; \
         form-action 'self'"
    )
}

/// Whether an `Accept-Encoding` value accepts gzip (`gzip` or `*` listed without `q=0`).
pub fn accepts_gzip(accept_encoding: &str) -> bool {
    let mut gzip = None;
    let mut any = None;
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            let p = p.trim().to_ascii_lowercase();
            p.strip_prefix("q=")
                .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
        });
        match coding.as_str() {
            "gzip" | "x-gzip" => gzip = Some(!refused),
            "*" => any = Some(!refused),
            _ => {}
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// Whether an `If-None-Match` value matches `etag` (weak comparison, as RFC 9110 asks for
/// `If-None-Match`).
pub fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    if_none_match.trim() == "*" || if_none_match.split(',').any(|t| bare(t) == bare(etag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_assets_are_immutable_and_everything_else_is_revalidated() {
        assert_eq!(
            cache_control("assets/index-CKsNuDgi.js"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(cache_control("index.html"), "no-cache");
        assert_eq!(cache_control("favicon.svg"), "no-cache");
    }

    #[test]
    fn the_softphone_and_the_console_have_short_addresses_and_only_the_softphone_is_framed() {
        assert_eq!(page_alias("index.html"), Some("/"));
        assert_eq!(page_alias("console.html"), Some("/console"));
        assert_eq!(page_alias("favicon.svg"), None);
        assert!(framed_by_crm("index.html"));
        assert!(!framed_by_crm("console.html"));
    }

    #[test]
    fn types_follow_the_extension() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("assets/index-x.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type("assets/index-x.CSS"),
            "text/css; charset=utf-8"
        );
        assert_eq!(content_type("favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }

    #[test]
    fn the_policy_names_the_crm_origin_only_where_the_contract_says() {
        assert_eq!(
            content_security_policy(None),
            "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; \
             style-src 'self'; media-src 'self' blob:; frame-ancestors 'self'; base-uri 'none'; \
             form-action 'self'"
        );
        let csp = content_security_policy(Some("https://acme.service-now.com"));
        assert!(csp.contains("script-src 'self' https://acme.service-now.com;"));
        assert!(csp.contains("frame-ancestors 'self' https://acme.service-now.com;"));
        assert_eq!(csp.matches("acme").count(), 2, "{csp}");
        assert!(!csp.contains("unsafe"));
    }

    #[test]
    fn gzip_is_taken_unless_refused() {
        assert!(accepts_gzip("gzip, deflate, br, zstd"));
        assert!(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("gzip;q=0, *"));
        assert!(!accepts_gzip("gzip; q=0.0"));
        assert!(!accepts_gzip("br"));
        assert!(!accepts_gzip(""));
        assert!(!accepts_gzip("identity"));
    }

    #[test]
    fn entity_tags_compare_weakly() {
        let etag = "\"00ab\"";
        assert!(etag_matches("\"00ab\"", etag));
        assert!(etag_matches("W/\"00ab\"", etag));
        assert!(etag_matches("\"ff\", \"00ab\"", etag));
        assert!(etag_matches("*", etag));
        assert!(!etag_matches("\"00ac\"", etag));
    }
}
