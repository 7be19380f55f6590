//! The console's API as its page uses it, for the tests: an account made in the store, a sign-in
//! that keeps the session cookie and CSRF token, and requests that carry them (changes also with
//! the page's Origin), each answered as one [`Answer`].

use callbridge_store::{Role, Store};
use callbridge_web::account::provision::{self, Wanted};
use reqwest::header::SET_COOKIE;
use reqwest::Method;
use serde_json::{json, Value};

use super::World;

/// Every account these tests make signs in with it.
pub const PASSWORD: &str = "correct horse battery staple";

/// Makes an account of `tenant` whose display name is its user name.
pub async fn add_account(store: &Store, tenant: &str, user: &str, role: Role) {
    let wanted = Wanted {
        tenant: tenant.into(),
        user: user.into(),
        display_name: user.into(),
        role,
    };
    provision::create(store, &wanted, PASSWORD).await.unwrap();
}

/// One answer: its status, its body parsed as JSON (`Null` when it is not), the body as text and
/// the headers.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    async fn of(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
            headers,
        }
    }

    /// The error answer's `error.code` (`""` for an answer that is not an error).
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// The error answer's `error.message`.
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
}

/// A signed-in browser tab (or script) of the console: the server it talks to, the origin of its
/// page, its session cookie and CSRF token.
pub struct Tab {
    http: reqwest::Client,
    base: String,
    origin: String,
    cookie: String,
    pub csrf: String,
}

impl Tab {
    /// Signs `user` of `tenant` in at `base` from a page of `origin`; the refusal's answer when
    /// the server says no.
    pub async fn sign_in(
        http: &reqwest::Client,
        base: &str,
        origin: &str,
        tenant: &str,
        user: &str,
        password: &str,
    ) -> Result<Tab, Answer> {
        let response = http
            .post(format!("{base}/api/v1/session"))
            .header("origin", origin)
            .json(&json!({"tenant": tenant, "user": user, "password": password}))
            .send()
            .await
            .unwrap();
        let answer = Answer::of(response).await;
        if answer.status != 200 {
            return Err(answer);
        }
        let cookie = answer.headers[SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        Ok(Tab {
            http: http.clone(),
            base: base.to_string(),
            origin: origin.to_string(),
            cookie,
            csrf: answer.body["csrf_token"].as_str().unwrap().to_string(),
        })
    }

    /// `user` of `tenant`, made with [`PASSWORD`], signed in to the world's server at its public
    /// URL.
    pub async fn of(world: &World, tenant: &str, user: &str) -> Tab {
        Tab::at(world, tenant, user, PASSWORD)
            .await
            .unwrap_or_else(|a| panic!("{user} could not sign in: {} {}", a.status, a.text))
    }

    /// `user` of `tenant` signing in with `password` to the world's server at its public URL.
    pub async fn at(
        world: &World,
        tenant: &str,
        user: &str,
        password: &str,
    ) -> Result<Tab, Answer> {
        let url = &world.public_url;
        Tab::sign_in(&world.http, url, url, tenant, user, password).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        let request = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie);
        Answer::of(request.send().await.unwrap()).await
    }

    /// A changing request as the console page sends it: cookie, CSRF token, its page's origin.
    pub async fn change(&self, method: Method, path: &str, body: Value) -> Answer {
        let (csrf, origin) = (self.csrf.clone(), self.origin.clone());
        self.change_with(method, path, Some(&csrf), Some(&origin), body.to_string())
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.change(Method::POST, path, body).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.change(Method::PUT, path, body).await
    }

    /// A changing request with the CSRF token and Origin given (or left out), for the tests of
    /// what the server refuses.
    pub async fn change_with(
        &self,
        method: Method,
        path: &str,
        csrf: Option<&str>,
        origin: Option<&str>,
        body: String,
    ) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/json")
            .body(body);
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        Answer::of(request.send().await.unwrap()).await
    }
}
