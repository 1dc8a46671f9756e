//! A small typed HTTP client for the tests: requests as a person, answers as Resp.
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use super::helpers::TestApp;

/// `name=value` of the session cookie a response sets.
pub fn session_pair(r: &Resp) -> String {
    let cookie = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("parley_session="))
        .expect("session cookie");
    cookie.split(';').next().expect("pair").to_owned()
}

pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: HeaderMap,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    pub fn id(&self) -> Uuid {
        self.body["id"].as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no id in {:?}", self.body))
    }
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "unexpected status; body {:?}", self.body);
        self
    }
    #[track_caller]
    pub fn expect_err(self, status: u16, code: &str) -> Self {
        assert_eq!((self.status, self.code()), (status, code), "body {:?}", self.body);
        self
    }
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub cookie: Option<String>,
    pub token: Option<String>,
    /// Origin header sent with cookie-authenticated requests (as a browser would).
    pub origin: Option<String>,
    pub user_id: Uuid,
    pub username: String,
    pub email: String,
}

impl Client {
    /// The same caller, talking to another node of the cluster.
    pub fn on(&self, node: &TestApp) -> Client {
        let mut c = self.clone();
        c.base = node.base.clone();
        c
    }

    pub fn adopt_session(&mut self, r: &Resp) {
        self.cookie = Some(session_pair(r));
        self.user_id = r.id();
        self.username = r.body["username"].as_str().unwrap_or_default().to_owned();
        self.email = r.body["email"].as_str().unwrap_or_default().to_owned();
    }

    /// The same person, authenticating with a fresh API token instead of the cookie.
    pub async fn with_token(&self) -> Client {
        let r = self.post("/api/v1/me/tokens", json!({"name": "test"})).await.expect(201);
        let mut c = self.clone();
        c.cookie = None;
        c.token = Some(r.body["token"].as_str().expect("token").to_owned());
        c
    }

    /// A request carrying this client's credentials, for tests that shape headers or bytes.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
            if let Some(o) = &self.origin {
                req = req.header("origin", o);
            }
        }
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        req
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let mut req = self.request(method, path);
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::finish(req).await
    }

    pub async fn finish(req: reqwest::RequestBuilder) -> Resp {
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let body =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        Resp { status, body, headers }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(Method::POST, path, Some(body)).await
    }
    pub async fn post_empty(&self, path: &str) -> Resp {
        self.send(Method::POST, path, None).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send(Method::PATCH, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, None).await
    }

    // Typed helpers over the public API.

    pub async fn channel(&self, ws: Uuid, name: &str, private: bool) -> Uuid {
        self.post(&format!("/api/v1/workspaces/{ws}/channels"), json!({"name": name, "private": private}))
            .await
            .expect(201)
            .id()
    }
    pub async fn general(&self, ws: Uuid) -> Uuid {
        let r = self.get(&format!("/api/v1/workspaces/{ws}/channels")).await.expect(200);
        let list = r.body.as_array().expect("list").clone();
        let g = list.iter().find(|c| c["name"] == "general").expect("general");
        g["id"].as_str().expect("id").parse().expect("uuid")
    }
    pub async fn say(&self, channel: Uuid, text: &str) -> Value {
        self.post(&format!("/api/v1/channels/{channel}/messages"), json!({"text": text})).await.expect(201).body
    }
    pub async fn history(&self, channel: Uuid, query: &str) -> Vec<Value> {
        let r = self.get(&format!("/api/v1/channels/{channel}/messages?{query}")).await.expect(200);
        r.body["messages"].as_array().expect("messages").clone()
    }
}
