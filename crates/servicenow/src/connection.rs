//! The HTTP connection to one instance: its base URL and a keep-alive reqwest client (rustls,
//! optionally trusting an extra root CA), shared by the Table and OAuth clients.

use std::sync::Arc;
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, Url};

use crate::error::{transport, ApiError, ConfigError};

/// Characters left as they are in a query-string component: RFC 3986 unreserved only. Every
/// other byte is percent-encoded, so `+` travels as `%2B` (never a space, servicenow.md §1.4),
/// `^` as `%5E`, `&`/`=`/`#` can never split parameters.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Largest answer read into memory (a batch of lookups is far smaller).
const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// How to reach an instance.
#[derive(Clone)]
pub struct InstanceConfig {
    /// `https://<instance>.service-now.com` (a path prefix is kept, for proxies).
    pub base_url: String,
    /// Extra root certificates (PEM) to trust besides the public roots: a corporate CA, or the
    /// sandbox's own.
    pub extra_root_ca_pem: Option<Vec<u8>>,
    /// Whole-request timeout.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub user_agent: String,
    /// Honour `HTTPS_PROXY`/`NO_PROXY` from the environment (default true).
    pub use_env_proxy: bool,
}

impl InstanceConfig {
    pub fn new(base_url: impl Into<String>) -> InstanceConfig {
        InstanceConfig {
            base_url: base_url.into(),
            extra_root_ca_pem: None,
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            user_agent: concat!("callbridge/", env!("CARGO_PKG_VERSION")).to_string(),
            use_env_proxy: true,
        }
    }

    pub fn with_root_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> InstanceConfig {
        self.extra_root_ca_pem = Some(pem.into());
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> InstanceConfig {
        self.timeout = timeout;
        self
    }
}

impl std::fmt::Debug for InstanceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceConfig")
            .field("base_url", &self.base_url)
            .field(
                "extra_root_ca_pem",
                &self.extra_root_ca_pem.as_ref().map(|p| p.len()),
            )
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("use_env_proxy", &self.use_env_proxy)
            .finish()
    }
}

/// A connection to one instance; cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Instance {
    inner: Arc<Inner>,
}

struct Inner {
    base: Url,
    http: reqwest::Client,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("base_url", &self.inner.base.as_str())
            .finish()
    }
}

/// A complete answer.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The answer if it is a success (2xx), else the error it carries.
    pub fn success(self) -> Result<RawResponse, ApiError> {
        match self.status {
            200..=299 => Ok(self),
            300..=399 => {
                let location = self
                    .headers
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("nowhere");
                Err(ApiError::UnexpectedResponse(format!(
                    "the instance redirected ({}) to {}; check the instance URL, or wake the instance if it is hibernating",
                    self.status,
                    crate::names::shown(location)
                )))
            }
            status => Err(ApiError::from_response(status, &self.headers, &self.body)),
        }
    }
}

impl Instance {
    pub fn new(config: InstanceConfig) -> Result<Instance, ConfigError> {
        let base = parse_base(&config.base_url)?;
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_keepalive(Duration::from_secs(60))
            .tcp_nodelay(true)
            .user_agent(config.user_agent.clone())
            // A redirect means a wrong URL or a hibernating instance's login page: report it.
            .redirect(reqwest::redirect::Policy::none());
        if !config.use_env_proxy {
            builder = builder.no_proxy();
        }
        if let Some(pem) = &config.extra_root_ca_pem {
            let certificates = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| ConfigError::Certificate(e.to_string()))?;
            if certificates.is_empty() {
                return Err(ConfigError::Certificate(
                    "no certificate found in the PEM text".into(),
                ));
            }
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let http = builder
            .build()
            .map_err(|e| ConfigError::Client(e.to_string()))?;
        Ok(Instance {
            inner: Arc::new(Inner { base, http }),
        })
    }

    /// The instance base URL (always ending in `/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// `<base><path>?<pairs>`; `path` is relative to the base (no leading `/`) and must already
    /// be URL-safe (validated names); every pair is percent-encoded.
    pub(crate) fn url(&self, path: &str, pairs: &[(&str, &str)]) -> Url {
        endpoint(&self.inner.base, path, pairs)
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// Sends a request and reads the whole answer (any status).
    pub(crate) async fn send(&self, request: RequestBuilder) -> Result<RawResponse, ApiError> {
        let mut response = request.send().await.map_err(|e| transport(&e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| transport(&e))? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(ApiError::UnexpectedResponse(format!(
                    "the answer is larger than {MAX_RESPONSE_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }
}

/// Percent-encodes one query-string component (see [`COMPONENT`]).
pub(crate) fn encode_component(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, COMPONENT).to_string()
}

/// `a=1&b=2` with every name and value percent-encoded.
pub(crate) fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) fn endpoint(base: &Url, path: &str, pairs: &[(&str, &str)]) -> Url {
    let mut url = base
        .join(path.trim_start_matches('/'))
        .unwrap_or_else(|_| base.clone());
    if pairs.is_empty() {
        url.set_query(None);
    } else {
        // Already percent-encoded; `set_query` keeps existing `%XX` sequences as they are.
        url.set_query(Some(&query_string(pairs)));
    }
    url
}

fn parse_base(raw: &str) -> Result<Url, ConfigError> {
    let fail = |shown: &str, reason: &str| ConfigError::BaseUrl {
        url: crate::names::shown(shown),
        reason: reason.to_string(),
    };
    let mut url = Url::parse(raw.trim()).map_err(|e| {
        fail(
            raw,
            &format!("{e} (expected https://<instance>.service-now.com)"),
        )
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        // Never echo the secret back into logs.
        let mut redacted = url.clone();
        let _ = redacted.set_username("");
        let _ = redacted.set_password(None);
        return Err(fail(
            redacted.as_str(),
            "credentials do not belong in the URL; configure them separately",
        ));
    }
    let fail = |reason: &str| fail(raw, reason);
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(fail("the scheme must be https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(fail("it has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(fail("it must not have a query or fragment"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    // servicenow.md §1.4: "percent-encode the whole sysparm_query. An unencoded + arrives as a space".
    #[test]
    fn rule_1_4_query_components_are_fully_percent_encoded() {
        assert_eq!(
            encode_component("phone=+81 3-1234-5678^ORx"),
            "phone%3D%2B81%203-1234-5678%5EORx"
        );
        assert_eq!(encode_component("a&b#c%d"), "a%26b%23c%25d");
        let base = parse_base("https://dev1.service-now.com").unwrap();
        let url = endpoint(
            &base,
            "api/now/v2/table/customer_contact",
            &[("sysparm_query", "phone=+1 408")],
        );
        assert_eq!(
            url.as_str(),
            "https://dev1.service-now.com/api/now/v2/table/customer_contact?sysparm_query=phone%3D%2B1%20408"
        );
        // Decoding it as a servlet would gives the original back.
        let decoded: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        assert_eq!(
            decoded,
            [("sysparm_query".to_string(), "phone=+1 408".to_string())]
        );
    }

    #[test]
    fn base_urls_are_checked_and_keep_a_path_prefix() {
        let base = parse_base("https://proxy.example.com/sn").unwrap();
        assert_eq!(
            endpoint(&base, "oauth_token.do", &[]).as_str(),
            "https://proxy.example.com/sn/oauth_token.do"
        );
        assert_eq!(
            parse_base("https://dev1.service-now.com/")
                .unwrap()
                .as_str(),
            "https://dev1.service-now.com/"
        );
        for bad in [
            "dev1.service-now.com",
            "ftp://dev1.service-now.com",
            "https://admin:pw@dev1.service-now.com",
            "https://dev1.service-now.com/?x=1",
            "",
        ] {
            assert!(parse_base(bad).is_err(), "{bad}");
        }
        let error = parse_base("https://admin:pw@dev1.service-now.com")
            .unwrap_err()
            .to_string();
        assert!(error.contains("credentials do not belong"), "{error}");
        assert!(!error.contains("pw"), "{error}");
    }

    #[test]
    fn a_bad_ca_bundle_is_a_config_error() {
        let config = InstanceConfig::new("https://dev1.service-now.com")
            .with_root_ca_pem(b"not a pem".to_vec());
        assert!(matches!(
            Instance::new(config),
            Err(ConfigError::Certificate(_))
        ));
    }
}
