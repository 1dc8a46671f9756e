//! Just enough of the Matrix client-server API (register, room, send, /sync) to run
//! the post/deliver scenario against a Matrix homeserver such as matrix-synapse.
use serde_json::{json, Value};

#[derive(Clone)]
pub struct Matrix {
    base: String,
    http: reqwest::Client,
}

pub struct Account {
    pub user_id: String,
    pub token: String,
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Matrix {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap_or_default();
        Self { base: format!("{}/_matrix/client/v3", base.trim_end_matches('/')), http }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "{path}: {status} {v}");
        Ok(v)
    }

    pub async fn register(&self, username: &str) -> anyhow::Result<Account> {
        let body = json!({"username": username, "password": "load-generator password",
                          "auth": {"type": "m.login.dummy"}, "inhibit_login": false});
        let v = self.call(reqwest::Method::POST, "/register", None, Some(body)).await?;
        Ok(Account {
            user_id: v["user_id"].as_str().unwrap_or_default().to_owned(),
            token: v["access_token"].as_str().unwrap_or_default().to_owned(),
        })
    }

    pub async fn create_room(&self, token: &str) -> anyhow::Result<String> {
        let v = self
            .call(reqwest::Method::POST, "/createRoom", Some(token), Some(json!({"preset": "public_chat"})))
            .await?;
        v["room_id"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no room_id: {v}"))
    }

    pub async fn join(&self, token: &str, room: &str) -> anyhow::Result<()> {
        self.call(reqwest::Method::POST, &format!("/join/{}", enc(room)), Some(token), Some(json!({}))).await?;
        Ok(())
    }

    /// A filter whose timeline limit is high: the default (10) silently skips events
    /// in a burst (the response says `limited`).
    pub async fn filter(&self, a: &Account) -> anyhow::Result<String> {
        let body =
            json!({"room": {"timeline": {"limit": 1000}}, "presence": {"types": []}, "account_data": {"types": []}});
        let v = self
            .call(reqwest::Method::POST, &format!("/user/{}/filter", enc(&a.user_id)), Some(&a.token), Some(body))
            .await?;
        v["filter_id"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no filter_id: {v}"))
    }

    pub async fn sync(&self, token: &str, filter: &str, since: Option<&str>, timeout_ms: u64) -> anyhow::Result<Value> {
        let mut path = format!("/sync?filter={}&timeout={timeout_ms}", enc(filter));
        if let Some(s) = since {
            path.push_str(&format!("&since={}", enc(s)));
        }
        self.call(reqwest::Method::GET, &path, Some(token), None).await
    }

    pub async fn send(&self, token: &str, room: &str, txn: &str, body: &str) -> anyhow::Result<()> {
        let path = format!("/rooms/{}/send/m.room.message/{}", enc(room), enc(txn));
        self.call(reqwest::Method::PUT, &path, Some(token), Some(json!({"msgtype": "m.text", "body": body}))).await?;
        Ok(())
    }
}
