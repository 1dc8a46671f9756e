//! Request rate limits: per credential (each token or session its own budget), per
//! client address for requests without one (a forged X-Forwarded-For changes nothing),
//! answered 429 `rate_limited` with Retry-After, and the budget refills.
use crate::helpers::{Client, TestApp};

/// How many GETs of `path` pass before the first 429, at most `limit`.
async fn passes(c: &Client, path: &str, limit: usize, forwarded_for: Option<&str>) -> usize {
    for n in 0..limit {
        let mut req = c.request(reqwest::Method::GET, path);
        if let Some(ip) = forwarded_for {
            req = req.header("x-forwarded-for", ip);
        }
        let r = Client::finish(req).await;
        if r.status == 429 {
            let r = r.expect_err(429, "rate_limited");
            let wait: u64 = r.headers["retry-after"].to_str().expect("ascii").parse().expect("seconds");
            assert!((1..=60).contains(&wait), "{wait}");
            return n;
        }
    }
    limit
}

#[tokio::test]
async fn each_credential_and_each_anonymous_address_has_its_own_budget() {
    // 60 a minute: a burst of 10, then one a second.
    let app = TestApp::spawn_with(
        |s| {
            s.server.requests_per_minute_per_credential = 60;
            s.server.requests_per_minute_per_address = 60;
        },
        Default::default(),
    )
    .await;
    let (ada, _) = app.setup_admin().await;
    let phone = ada.with_token().await;
    let laptop = ada.with_token().await;
    let passed = passes(&phone, "/api/v1/me", 50, None).await;
    assert!((8..=12).contains(&passed), "a burst of about ten, then 429: {passed}");
    assert!(passes(&laptop, "/api/v1/me", 5, None).await == 5, "another token of the same person is not held up");
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    assert!(passes(&phone, "/api/v1/me", 1, None).await == 1, "the budget refills");

    let anon = app.anon();
    let passed = passes(&anon, "/login", 50, None).await;
    // Setting up and signing in were anonymous too: a few of the ten are spent already.
    assert!((5..=12).contains(&passed), "without a credential, the address's budget: {passed}");
    let forged = passes(&anon, "/login", 3, Some("203.0.113.9")).await;
    assert!(forged < 2, "a forged X-Forwarded-For buys no fresh budget: {forged} passed");
    assert_eq!(passes(&anon, "/healthz", 3, None).await, 3, "health checks are not counted");
    assert_eq!(passes(&laptop, "/api/v1/me", 1, None).await, 1, "a credential is not held up by its address");
}
