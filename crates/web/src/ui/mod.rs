//! The browser softphone and the console, served from the binary: `GET /` (and `/index.html`) is
//! the softphone's page, `GET /console` (and `/console.html`) the console's (admins and
//! supervisors, `docs/console-api.md`), every other file of the bundle is served at its path
//! (`/assets/<name>-<hash>.js`). The bundle is
//! `ui/dist/`, embedded at compile time (`build.rs`, [`bundle`]); a binary built without it
//! answers `/` with a 503 page that says how to build the UI. Paths that are not in the bundle
//! are not routed here, so they stay 404 (and `/api/...` stays the API's).
//!
//! Headers: every response `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`;
//! HTML responses the Content-Security-Policy of `ui/SERVER-CONTRACT.md` (section 1) with the
//! CRM page origin of the tenant named by `?tenant=` for the softphone's page only (the console
//! is never framed by a CRM; see [`policy::content_security_policy`]),
//! and no `X-Frame-Options` (`frame-ancestors` says who may frame the page); hashed files are
//! cached for a year, the rest revalidated by entity tag; the build's `.gz` copies are sent to
//! clients that accept gzip.
//!
//! Why `?tenant=` and not every tenant's origin: the page is one origin for all tenants, and a
//! policy listing every tenant's CRM would let each of them frame the page and would tell anyone
//! who fetched `/` who all the customers are. A CRM embeds the page as `<public_url>/?tenant=<id>`
//! (OpenFrame's configuration URL); without it (a tab of its own) only Callbridge's own origin
//! may frame it or serve its scripts.

mod bundle;
pub mod policy;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{header, HeaderMap, HeaderValue, StatusCode};

use bundle::Asset;

/// What the page's responses need from the configuration.
#[derive(Debug, Clone, Default)]
pub struct UiConfig {
    /// Tenant id → its CRM's page origin (`https://acme.service-now.com`); a saved tenant's
    /// is swapped in ([`UiConfig::set_page_origin`]).
    pub crm_page_origins: Arc<parking_lot::RwLock<HashMap<String, String>>>,
    /// Whether the demo's customer page is served (only `callbridge demo` turns it on).
    pub demo_customer_page: bool,
}

/// Where the demo's customer page is in the bundle (`ui/demo/customer.html`, a second Vite
/// entry), and the one path it is served at when the demo turns it on. Its relative script URLs
/// (`../assets/...`) resolve from `/demo/customer` exactly as from the bundle's own folder.
pub const DEMO_CUSTOMER_ASSET: &str = "demo/customer.html";
pub const DEMO_CUSTOMER_PATH: &str = "/demo/customer";

impl UiConfig {
    pub fn new(crm_page_origins: &HashMap<callbridge_core::TenantId, String>) -> UiConfig {
        UiConfig {
            crm_page_origins: Arc::new(parking_lot::RwLock::new(
                crm_page_origins
                    .iter()
                    .map(|(tenant, origin)| (tenant.as_str().to_string(), origin.clone()))
                    .collect(),
            )),
            demo_customer_page: false,
        }
    }

    /// `tenant`'s CRM page origin from the next page on (`None`: its CRM has no pages).
    pub fn set_page_origin(&self, tenant: &str, origin: Option<String>) {
        let mut origins = self.crm_page_origins.write();
        match origin {
            Some(origin) => origins.insert(tenant.to_string(), origin),
            None => origins.remove(tenant),
        };
    }
}

/// Whether this binary carries the softphone's bundle (it was built after `npm run build`).
pub fn bundled() -> bool {
    bundle::BUNDLE.is_some()
}

/// The page's routes, to merge into the server's router.
pub fn router(config: UiConfig) -> axum::Router {
    router_for(bundle::BUNDLE, config)
}

/// [`router`] for a given bundle (`None`: built without the UI).
fn router_for(bundle: Option<&'static [Asset]>, config: UiConfig) -> axum::Router {
    let config = Arc::new(config);
    let Some(assets) = bundle else {
        return axum::Router::new()
            .route("/", get(not_built))
            .route("/index.html", get(not_built))
            .route("/console", get(not_built))
            .with_state(config);
    };
    let mut router = axum::Router::new();
    for asset in assets {
        let handler = move |State(config): State<Arc<UiConfig>>,
                            RawQuery(query): RawQuery,
                            headers: HeaderMap| async move {
            serve(asset, &config, query.as_deref(), &headers)
        };
        // The demo's customer page exists only where the demo turned it on, and only at its
        // one path (never at its file's path).
        if asset.path == DEMO_CUSTOMER_ASSET {
            if config.demo_customer_page {
                router = router.route(DEMO_CUSTOMER_PATH, get(handler));
            }
            continue;
        }
        router = router.route(&format!("/{}", asset.path), get(handler));
        if let Some(alias) = policy::page_alias(asset.path) {
            router = router.route(alias, get(handler));
        }
    }
    router.with_state(config)
}

fn serve(
    asset: &'static Asset,
    config: &UiConfig,
    query: Option<&str>,
    request: &HeaderMap,
) -> Response {
    let content_type = policy::content_type(asset.path);
    let gzip = asset.gzip.filter(|_| {
        request
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(policy::accepts_gzip)
    });
    // Each encoding is its own representation, with its own tag.
    let etag = match gzip {
        Some(_) => format!("{}-gz\"", asset.etag.trim_end_matches('"')),
        None => asset.etag.to_string(),
    };
    let mut headers = HeaderMap::new();
    common_headers(&mut headers);
    if content_type.starts_with("text/html") {
        let origin = tenant_of(query)
            .filter(|_| policy::framed_by_crm(asset.path))
            .and_then(|t| config.crm_page_origins.read().get(&t).cloned());
        headers.insert(header::CONTENT_SECURITY_POLICY, csp(origin.as_deref()));
    }
    insert(
        &mut headers,
        header::CACHE_CONTROL,
        policy::cache_control(asset.path),
    );
    insert(&mut headers, header::ETAG, &etag);
    if asset.gzip.is_some() {
        insert(&mut headers, header::VARY, "Accept-Encoding");
    }
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| policy::etag_matches(v, &etag));
    if fresh {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    insert(&mut headers, header::CONTENT_TYPE, content_type);
    match gzip {
        Some(bytes) => {
            insert(&mut headers, header::CONTENT_ENCODING, "gzip");
            (headers, bytes).into_response()
        }
        None => (headers, asset.body).into_response(),
    }
}

/// The `tenant` parameter of the page's query string, if any.
fn tenant_of(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(name, _)| name == "tenant")
        .map(|(_, value)| value.into_owned())
}

/// `/` of a binary built without `ui/dist/`.
async fn not_built() -> Response {
    let mut headers = HeaderMap::new();
    common_headers(&mut headers);
    headers.insert(header::CONTENT_SECURITY_POLICY, csp(None));
    insert(&mut headers, header::CACHE_CONTROL, "no-store");
    insert(
        &mut headers,
        header::CONTENT_TYPE,
        "text/html; charset=utf-8",
    );
    (StatusCode::SERVICE_UNAVAILABLE, headers, NOT_BUILT_PAGE).into_response()
}

const NOT_BUILT_PAGE: &str = "<!doctype html>
<html lang=\"en\">
<head><meta charset=\"utf-8\"><title>Callbridge: the softphone is not in this build</title></head>
<body>
<h1>The browser softphone is not in this build</h1>
<p>This callbridge binary was compiled when the browser UI had not been built (<code>ui/dist/</code>
was missing), so it has no page to serve here. The API and the softphone WebSocket work as usual.</p>
<p>To fix it, build the UI and then the binary again:</p>
<pre>cd ui &amp;&amp; npm ci &amp;&amp; npm run build &amp;&amp; cd .. &amp;&amp; cargo build --release</pre>
<p>or run <code>./scripts/demo</code>, which does both.</p>
</body>
</html>
";

/// The policy as a header value; an origin that cannot be one (origins are ASCII, so never)
/// falls back to the policy without it rather than to none.
fn csp(crm_origin: Option<&str>) -> HeaderValue {
    HeaderValue::from_str(&policy::content_security_policy(crm_origin)).unwrap_or_else(|_| {
        HeaderValue::from_str(&policy::content_security_policy(None))
            .expect("the policy without an origin is ASCII")
    })
}

fn common_headers(headers: &mut HeaderMap) {
    insert(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    insert(headers, header::REFERRER_POLICY, "no-referrer");
}

fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    // Every value given here is ASCII of ours (types, tags, cache rules).
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use http::Request;
    use tower::ServiceExt;

    static FAKE: &[Asset] = &[
        Asset {
            path: "assets/index-AbC123.js",
            body: b"console.log(1)",
            gzip: Some(b"gz-js"),
            etag: "\"00000000000000aa\"",
        },
        Asset {
            path: "console.html",
            body: b"<!doctype html><title>console</title>",
            gzip: None,
            etag: "\"00000000000000cc\"",
        },
        Asset {
            path: "index.html",
            body: b"<!doctype html><title>x</title>",
            gzip: None,
            etag: "\"00000000000000bb\"",
        },
        Asset {
            path: DEMO_CUSTOMER_ASSET,
            body: b"<!doctype html><title>customer</title>",
            gzip: None,
            etag: "\"00000000000000cc\"",
        },
    ];

    fn config() -> UiConfig {
        UiConfig {
            crm_page_origins: Arc::new(parking_lot::RwLock::new(HashMap::from([(
                "acme".to_string(),
                "https://acme.service-now.com".to_string(),
            )]))),
            demo_customer_page: false,
        }
    }

    async fn get(
        bundle: Option<&'static [Asset]>,
        uri: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        get_with(bundle, config(), uri, headers).await
    }

    async fn get_with(
        bundle: Option<&'static [Asset]>,
        config: UiConfig,
        uri: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut request = Request::get(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = router_for(bundle, config)
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, headers, body.to_vec())
    }

    fn header<'h>(headers: &'h HeaderMap, name: &str) -> &'h str {
        headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or("")
    }

    #[tokio::test]
    async fn the_page_is_index_html_with_the_tenants_crm_in_its_policy() {
        let (status, headers, body) = get(Some(FAKE), "/?tenant=acme&lang=ja", &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, b"<!doctype html><title>x</title>");
        assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
        assert_eq!(header(&headers, "cache-control"), "no-cache");
        assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
        assert_eq!(header(&headers, "referrer-policy"), "no-referrer");
        assert_eq!(header(&headers, "x-frame-options"), "");
        assert_eq!(
            header(&headers, "content-security-policy"),
            policy::content_security_policy(Some("https://acme.service-now.com"))
        );
        for uri in ["/", "/index.html", "/?tenant=nobody"] {
            let (status, headers, _) = get(Some(FAKE), uri, &[]).await;
            assert_eq!(status, StatusCode::OK, "{uri}");
            assert_eq!(
                header(&headers, "content-security-policy"),
                policy::content_security_policy(None),
                "{uri}"
            );
        }
    }

    #[tokio::test]
    async fn the_console_is_its_own_page_that_no_crm_may_frame() {
        for uri in ["/console", "/console.html", "/console?tenant=acme"] {
            let (status, headers, body) = get(Some(FAKE), uri, &[]).await;
            assert_eq!(status, StatusCode::OK, "{uri}");
            assert_eq!(body, b"<!doctype html><title>console</title>", "{uri}");
            assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
            assert_eq!(header(&headers, "cache-control"), "no-cache");
            assert_eq!(header(&headers, "referrer-policy"), "no-referrer");
            assert_eq!(
                header(&headers, "content-security-policy"),
                policy::content_security_policy(None),
                "{uri}"
            );
        }
        let (status, _, _) = get(Some(FAKE), "/console/people", &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "pages are #/<id>, not paths");
    }

    #[tokio::test]
    async fn hashed_assets_are_immutable_and_gzipped_for_who_takes_it() {
        let uri = "/assets/index-AbC123.js";
        let (status, headers, body) = get(Some(FAKE), uri, &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, b"console.log(1)");
        assert_eq!(
            header(&headers, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            header(&headers, "content-type"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(header(&headers, "content-encoding"), "");
        assert_eq!(header(&headers, "vary"), "Accept-Encoding");
        assert_eq!(header(&headers, "etag"), "\"00000000000000aa\"");
        assert_eq!(header(&headers, "content-security-policy"), "");

        let (_, headers, body) = get(Some(FAKE), uri, &[("accept-encoding", "gzip, br")]).await;
        assert_eq!(body, b"gz-js");
        assert_eq!(header(&headers, "content-encoding"), "gzip");
        assert_eq!(header(&headers, "etag"), "\"00000000000000aa-gz\"");
    }

    #[tokio::test]
    async fn a_known_tag_is_not_sent_again() {
        let (status, headers, body) = get(
            Some(FAKE),
            "/",
            &[("if-none-match", "\"00000000000000bb\"")],
        )
        .await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert!(body.is_empty());
        assert_eq!(header(&headers, "etag"), "\"00000000000000bb\"");
        let (status, _, _) = get(
            Some(FAKE),
            "/assets/index-AbC123.js",
            &[
                ("if-none-match", "\"00000000000000aa\""),
                ("accept-encoding", "gzip"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "the gzipped copy has its own tag");
    }

    #[tokio::test]
    async fn other_paths_are_not_the_pages() {
        for uri in [
            "/assets/other.js",
            "/api/v1/nothing",
            "/favicon.ico",
            "/index.htm",
        ] {
            let (status, _, _) = get(Some(FAKE), uri, &[]).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        }
    }

    #[tokio::test]
    async fn the_demo_customer_page_exists_only_where_the_demo_turns_it_on() {
        for uri in [DEMO_CUSTOMER_PATH, "/demo/customer.html"] {
            let (status, _, _) = get(Some(FAKE), uri, &[]).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        }
        let demo = UiConfig {
            demo_customer_page: true,
            ..config()
        };
        let (status, headers, body) =
            get_with(Some(FAKE), demo.clone(), DEMO_CUSTOMER_PATH, &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, b"<!doctype html><title>customer</title>");
        assert_eq!(
            header(&headers, "content-security-policy"),
            policy::content_security_policy(None)
        );
        let (status, _, _) = get_with(Some(FAKE), demo, "/demo/customer.html", &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn without_the_bundle_the_page_says_how_to_build_it() {
        for uri in ["/", "/index.html"] {
            let (status, headers, body) = get(None, uri, &[]).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            let body = String::from_utf8(body).unwrap();
            assert!(body.contains("npm ci &amp;&amp; npm run build"), "{body}");
            assert!(body.contains("./scripts/demo"), "{body}");
            assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
            assert_eq!(header(&headers, "cache-control"), "no-store");
            assert_eq!(
                header(&headers, "content-security-policy"),
                policy::content_security_policy(None)
            );
        }
        let (status, _, _) = get(None, "/assets/index-AbC123.js", &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn the_tenant_comes_from_the_query() {
        assert_eq!(
            tenant_of(Some("lang=ja&tenant=acme")).as_deref(),
            Some("acme")
        );
        assert_eq!(tenant_of(Some("tenant=a%20b")).as_deref(), Some("a b"));
        assert_eq!(tenant_of(Some("lang=ja")), None);
        assert_eq!(tenant_of(None), None);
    }
}
