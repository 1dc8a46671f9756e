//! A thin client over Parley's REST API that times every call per endpoint.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use hdrhistogram::Histogram;
use serde_json::Value;

/// Latencies per endpoint for the whole run, and a window that `ramp` reads and resets.
#[derive(Default)]
pub struct Stats {
    pub timings: Mutex<HashMap<&'static str, Histogram<u64>>>,
    pub errors: Mutex<u64>,
    window: Mutex<Window>,
}

#[derive(Default, Clone, Copy)]
pub struct Window {
    pub calls: u64,
    pub errors: u64,
    pub micros: u64,
}

impl Stats {
    /// What happened since the last call.
    pub fn take_window(&self) -> Window {
        self.window.lock().map(|mut w| std::mem::take(&mut *w)).unwrap_or_default()
    }
}

#[derive(Clone)]
pub struct Api {
    pub base: String,
    http: reqwest::Client,
    pub stats: Arc<Stats>,
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
            http: reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap_or_default(),
            stats: Arc::default(),
        }
    }

    /// The same client and statistics, talking to another node.
    pub fn at(&self, base: &str) -> Self {
        Self { base: base.trim_end_matches('/').to_owned(), ..self.clone() }
    }

    /// The WebSocket URL of this node.
    pub fn ws_url(&self) -> String {
        format!("{}/api/v1/ws", self.base.replacen("http", "ws", 1))
    }

    /// Calls the API as `token`; records the latency under `label`.
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
        let sent = req.send().await;
        let (status, headers, bytes) = match sent {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                match resp.bytes().await {
                    Ok(b) => (status, headers, b),
                    Err(e) => {
                        self.count(started, true);
                        return Err(e.into());
                    }
                }
            }
            Err(e) => {
                self.count(started, true);
                return Err(e.into());
            }
        };
        let micros = self.count(started, status >= 400);
        if let Ok(mut t) = self.stats.timings.lock() {
            let _ = t.entry(label).or_insert_with(histogram).record(micros.max(1));
        }
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((status, value, headers))
    }

    fn count(&self, started: Instant, failed: bool) -> u64 {
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        if failed {
            if let Ok(mut e) = self.stats.errors.lock() {
                *e += 1;
            }
        }
        if let Ok(mut w) = self.stats.window.lock() {
            w.calls += 1;
            w.micros += micros;
            w.errors += u64::from(failed);
        }
        micros
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

    pub fn errors(&self) -> u64 {
        self.stats.errors.lock().map(|e| *e).unwrap_or(0)
    }
}
