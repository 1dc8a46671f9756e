//! A thin client over Parley's REST API that times every call per endpoint.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use hdrhistogram::Histogram;
use serde_json::Value;

#[derive(Clone)]
pub struct Api {
    pub base: String,
    http: reqwest::Client,
    pub timings: Arc<Mutex<HashMap<&'static str, Histogram<u64>>>>,
    pub errors: Arc<Mutex<u64>>,
}

pub fn histogram() -> Histogram<u64> {
    // Microseconds, up to 10 minutes, 3 significant figures.
    Histogram::new_with_bounds(1, 600_000_000, 3)
        .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!()))
}

impl Api {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap_or_default(),
            timings: Arc::default(),
            errors: Arc::default(),
        }
    }

    /// Calls the API as `token` (or with `cookie`); records the latency under `label`.
    pub async fn call(
        &self,
        label: &'static str,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value, reqwest::header::HeaderMap)> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let started = Instant::now();
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await?;
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        if let Ok(mut t) = self.timings.lock() {
            let _ = t.entry(label).or_insert_with(histogram).record(micros.max(1));
        }
        if status >= 400 {
            if let Ok(mut e) = self.errors.lock() {
                *e += 1;
            }
        }
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((status, value, headers))
    }

    pub async fn get(&self, label: &'static str, path: &str, token: &str) -> anyhow::Result<Value> {
        Ok(self.call(label, reqwest::Method::GET, path, Some(token), None).await?.1)
    }

    pub async fn post(
        &self,
        label: &'static str,
        path: &str,
        token: &str,
        body: Value,
    ) -> anyhow::Result<(u16, Value)> {
        let (s, v, _) = self.call(label, reqwest::Method::POST, path, Some(token), Some(&body)).await?;
        Ok((s, v))
    }
}
