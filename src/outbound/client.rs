//! Sending one request: URL checks, manual redirects (each hop checked), the overall
//! timeout and the capped read of the answer.
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use reqwest::Method;
use url::Url;

use super::policy::{Policy, Refusal};
use super::resolver::CheckedResolver;
use super::{MAX_BODY_BYTES, MAX_REDIRECTS};

/// Everything one call may take, redirects included.
const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct OutboundRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

#[derive(Debug)]
pub struct OutboundResponse {
    pub status: u16,
    pub headers: HeaderMap,
    /// At most `MAX_BODY_BYTES` of the answer.
    pub body: Vec<u8>,
    pub truncated: bool,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("refused: {0}")]
    Refused(Refusal),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Failed(String),
}

#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    policy: Arc<Policy>,
}

impl Outbound {
    pub fn new(policy: Policy) -> anyhow::Result<Self> {
        let policy = Arc::new(policy);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(CheckedResolver { policy: policy.clone() }))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TIMEOUT)
            .user_agent(concat!("Parley/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, policy })
    }

    /// Sends `req`, following at most `MAX_REDIRECTS` redirects, within 10 s.
    pub async fn send(&self, req: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        let started = Instant::now();
        match tokio::time::timeout(TIMEOUT, self.follow(req, started)).await {
            Ok(r) => r,
            Err(_) => Err(OutboundError::Timeout(TIMEOUT)),
        }
    }

    /// A target someone configures (a webhook's or a command's URL), checked as
    /// `check_url` does and at most 2048 characters; refusals name the `url` field.
    pub fn target_url(&self, raw: &str) -> crate::error::AppResult<String> {
        use crate::error::AppError;
        if raw.trim().len() > 2048 {
            return Err(AppError::invalid("url", "at most 2048 characters"));
        }
        Ok(self.check_url(raw).map_err(|e| AppError::invalid("url", e.to_string()))?.to_string())
    }

    /// A URL Parley may call: http(s), an allowed port, and a literal address that is
    /// allowed (names are checked when they resolve).
    pub fn check_url(&self, raw: &str) -> Result<Url, OutboundError> {
        let url = Url::parse(raw.trim()).map_err(|e| OutboundError::Failed(format!("not a URL: {e}")))?;
        let refused = |r| Err(OutboundError::Refused(r));
        if !matches!(url.scheme(), "http" | "https") {
            return refused(Refusal::Scheme(url.scheme().to_owned()));
        }
        let Some(host) = url.host() else { return refused(Refusal::NoHost) };
        let allowlisted = self.policy.allowlisted(&host);
        let port = url.port_or_known_default().unwrap_or(0);
        self.policy.check_port(port, allowlisted).map_err(OutboundError::Refused)?;
        let literal = match host {
            url::Host::Ipv4(ip) => Some(ip.into()),
            url::Host::Ipv6(ip) => Some(ip.into()),
            url::Host::Domain(_) => None,
        };
        if let Some(ip) = literal {
            self.policy.check_ip(ip, false).map_err(OutboundError::Refused)?;
        }
        Ok(url)
    }

    async fn follow(&self, req: OutboundRequest, started: Instant) -> Result<OutboundResponse, OutboundError> {
        let mut url = self.check_url(&req.url)?;
        let (mut method, mut body, mut headers) = (req.method, req.body, req.headers);
        for hop in 0..=MAX_REDIRECTS {
            let mut rb = self.client.request(method.clone(), url.clone());
            for (k, v) in &headers {
                rb = rb.header(k.as_str(), v.as_str());
            }
            if let Some(b) = &body {
                rb = rb.body(b.clone());
            }
            let resp = rb.send().await.map_err(classify)?;
            let status = resp.status();
            if !status.is_redirection() || resp.headers().get(LOCATION).is_none() {
                return read(resp, started).await;
            }
            if hop == MAX_REDIRECTS {
                return Err(OutboundError::Refused(Refusal::TooManyRedirects(MAX_REDIRECTS)));
            }
            let location = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
            let next = url.join(location).map_err(|_| OutboundError::Refused(Refusal::BadRedirect))?;
            url = self.check_url(next.as_str())?;
            // 301/302/303 turn a POST into a GET without a body, as browsers do.
            if matches!(status.as_u16(), 301..=303) && method != Method::GET && method != Method::HEAD {
                method = Method::GET;
                body = None;
                headers.retain(|(k, _)| {
                    !k.eq_ignore_ascii_case(CONTENT_TYPE.as_str()) && !k.eq_ignore_ascii_case(CONTENT_LENGTH.as_str())
                });
            }
        }
        Err(OutboundError::Refused(Refusal::TooManyRedirects(MAX_REDIRECTS)))
    }
}

/// A refusal from the resolver comes back inside reqwest's error: find it.
fn classify(e: reqwest::Error) -> OutboundError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refusal>() {
            return OutboundError::Refused(r.clone());
        }
        source = s.source();
    }
    if e.is_timeout() {
        return OutboundError::Timeout(TIMEOUT);
    }
    let what = if e.is_connect() { "could not connect" } else { "the request failed" };
    OutboundError::Failed(format!("{what}: {}", e.without_url()))
}

async fn read(mut resp: reqwest::Response, started: Instant) -> Result<OutboundResponse, OutboundError> {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let mut body = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = resp.chunk().await.map_err(classify)? {
        let room = MAX_BODY_BYTES - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(OutboundResponse { status, headers, body, truncated, elapsed: started.elapsed() })
}
