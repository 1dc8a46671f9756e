//! A Slack Web API call's arguments, however they were sent: a JSON body, a form body
//! (what Slack's SDKs send for most methods, with `blocks` and `attachments` as JSON
//! strings), or the query string; and the token, from `Authorization: Bearer` or a
//! `token` argument.
use actix_web::http::header;
use actix_web::HttpRequest;
use serde_json::{Map, Value};

use super::SlackError;

pub struct Args {
    map: Map<String, Value>,
    pub token: Option<String>,
}

/// Fields Slack sends as JSON text inside a form.
const JSON_FIELDS: [&str; 3] = ["blocks", "attachments", "files"];

impl Args {
    pub fn parse(req: &HttpRequest, body: &[u8]) -> Result<Self, SlackError> {
        let mut map = Map::new();
        for (k, v) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
            map.insert(k.into_owned(), Value::String(v.into_owned()));
        }
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("application/json") && !body.is_empty() {
            let Value::Object(obj) = serde_json::from_slice(body).map_err(|_| SlackError("invalid_json"))? else {
                return Err(SlackError("invalid_json"));
            };
            map.extend(obj);
        } else if !body.is_empty() {
            for (k, v) in url::form_urlencoded::parse(body) {
                let value = if JSON_FIELDS.contains(&k.as_ref()) {
                    serde_json::from_str(&v).map_err(|_| SlackError("invalid_arguments"))?
                } else {
                    Value::String(v.into_owned())
                };
                map.insert(k.into_owned(), value);
            }
        }
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim().to_owned());
        let token = bearer.or_else(|| map.get("token").and_then(Value::as_str).map(str::to_owned));
        Ok(Self { map, token })
    }

    pub fn json(&self) -> Value {
        Value::Object(self.map.clone())
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        self.map.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
    }

    pub fn required(&self, key: &str) -> Result<&str, SlackError> {
        self.str(key).ok_or(SlackError("invalid_arguments"))
    }

    pub fn bool(&self, key: &str) -> bool {
        match self.map.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => matches!(s.as_str(), "true" | "1"),
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            _ => false,
        }
    }

    pub fn int(&self, key: &str) -> Option<i64> {
        match self.map.get(key)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A Slack timestamp argument (`ts`, `thread_ts`, `latest`), as given.
    pub fn ts(&self, key: &str) -> Option<String> {
        match self.map.get(key)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}
