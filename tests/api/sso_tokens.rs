//! Crafted ID tokens from a provider of the test's own (fake_idp): every one that fails
//! a check ends on the refusal page and creates nothing; a key rotation is followed, and
//! a token naming an unknown key does not make Parley fetch keys again and again.
use serde_json::{json, Value};

use crate::fake_idp::{hs256, unsigned, FakeIdp, Key};
use crate::helpers::TestApp;
use crate::sso_support::{provider, Browser, Page};

const CLIENT: &str = "parley-client";
const SECRET: &str = "client-secret-of-parley";

struct Setup {
    app: TestApp,
    idp: FakeIdp,
}

impl Setup {
    async fn new() -> Self {
        let idp = FakeIdp::start().await;
        let p = provider("fake", &idp.issuer, CLIENT, SECRET);
        let app = TestApp::spawn_with(move |s| s.sso.providers = vec![p], Default::default()).await;
        app.setup_admin().await;
        Self { app, idp }
    }

    /// Starts a sign-in; answers the browser, its state and nonce.
    async fn begin(&self) -> (Browser, String, String) {
        let mut b = Browser::default();
        let page = b.get(&format!("{}/sso/fake/start", self.app.base)).await;
        assert_eq!(page.status, 303, "{}", page.body);
        let url = url::Url::parse(&page.location()).expect("authorization URL");
        let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).expect(name);
        assert_eq!(param("code_challenge_method"), "S256");
        assert_eq!(param("redirect_uri"), format!("{}/sso/fake/callback", self.app.base));
        (b, param("state"), param("nonce"))
    }

    /// One sign-in in which the token endpoint hands out `craft(nonce)`.
    async fn sign_in_with(&self, craft: impl FnOnce(&str) -> String) -> Page {
        let (mut b, state, nonce) = self.begin().await;
        self.idp.hand_out(craft(&nonce));
        b.get(&format!("{}/sso/fake/callback?code=abc&state={state}", self.app.base)).await
    }

    fn claims(&self, nonce: &str, sub: &str) -> Value {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
        json!({"iss": self.idp.issuer, "aud": CLIENT, "sub": sub, "nonce": nonce, "iat": now, "exp": now + 300,
               "email": format!("{sub}@fake.test"), "email_verified": true})
    }

    async fn users(&self) -> u64 {
        use sea_orm::{EntityTrait, PaginatorTrait};
        parley::accounts::model::user::Entity::find().count(&self.app.state.db.conn).await.expect("count")
    }
}

/// Makes the ID token for a sign-in, given its nonce.
type Craft<'a> = Box<dyn Fn(&str) -> String + 'a>;

fn with(mut v: Value, patch: Value) -> Value {
    for (k, val) in patch.as_object().expect("object") {
        v[k] = val.clone();
    }
    v
}

#[tokio::test]
async fn every_id_token_that_fails_a_check_is_refused_and_creates_nothing() {
    let s = Setup::new().await;
    let key = Key::new("k1");
    s.idp.publish(&[&key]);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();

    // The baseline: a proper token signs a new person in.
    let ok = s.sign_in_with(|n| key.sign(&s.claims(n, "good"))).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let users = s.users().await;

    let stranger = Key::new("k1");
    let cases: Vec<(&str, Craft<'_>)> = vec![
        ("wrong nonce", Box::new(|_| key.sign(&s.claims("not-the-nonce", "b1")))),
        ("no nonce", Box::new(|n| key.sign(&with(s.claims(n, "b2"), json!({"nonce": null}))))),
        ("another audience", Box::new(|n| key.sign(&with(s.claims(n, "b3"), json!({"aud": "someone-else"}))))),
        (
            "an untrusted second audience",
            Box::new(|n| key.sign(&with(s.claims(n, "b4"), json!({"aud": [CLIENT, "other"]})))),
        ),
        ("another authorized party", Box::new(|n| key.sign(&with(s.claims(n, "b5"), json!({"azp": "other"}))))),
        ("another issuer", Box::new(|n| key.sign(&with(s.claims(n, "b6"), json!({"iss": "https://evil.test"}))))),
        ("expired", Box::new(|n| key.sign(&with(s.claims(n, "b7"), json!({"exp": now - 120, "iat": now - 400}))))),
        (
            "issued in the future",
            Box::new(|n| key.sign(&with(s.claims(n, "b8"), json!({"iat": now + 600, "exp": now + 900})))),
        ),
        ("issued long ago", Box::new(|n| key.sign(&with(s.claims(n, "b9"), json!({"iat": now - 7200}))))),
        ("alg none", Box::new(|n| unsigned(&s.claims(n, "b10")))),
        ("HS256 with the client secret", Box::new(|n| hs256(SECRET, &s.claims(n, "b11")))),
        ("signed by a look-alike key", Box::new(|n| stranger.sign(&s.claims(n, "b12")))),
        (
            "claims changed after signing",
            Box::new(|n| {
                let t = key.sign(&s.claims(n, "b13"));
                let parts: Vec<&str> = t.split('.').collect();
                let forged = base64::Engine::encode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                    s.claims(n, "good").to_string(),
                );
                format!("{}.{forged}.{}", parts[0], parts[2])
            }),
        ),
        ("no ID token at all", Box::new(|_| String::new())),
    ];
    for (what, craft) in cases {
        let page = s.sign_in_with(|n| craft(n)).await;
        assert_eq!((page.status, page.sso_error().as_str()), (401, "sso_token_invalid"), "{what}: {}", page.body);
        assert!(page.body.contains("What to do"), "{what}");
        assert!(!page.body.contains(SECRET));
    }
    assert_eq!(s.users().await, users, "no refused token created anyone");
    let status = s.app.state.sso.all()[0].status();
    assert_eq!(status.failed_sign_ins, 14);
    assert!(status.last_error.as_deref().is_some_and(|e| e.contains("sso_token_invalid")), "{:?}", status.last_error);
}

#[tokio::test]
async fn a_key_rotation_is_followed_and_unknown_keys_do_not_hammer_the_provider() {
    let s = Setup::new().await;
    let (old, new) = (Key::new("old"), Key::new("new"));
    s.idp.publish(&[&old]);
    assert_eq!(s.sign_in_with(|n| old.sign(&s.claims(n, "r1"))).await.status, 303);
    let fetched = s.idp.key_fetches();

    // The provider rotates: tokens now come signed by a key Parley has not seen.
    s.idp.publish(&[&new]);
    let page = s.sign_in_with(|n| new.sign(&s.claims(n, "r2"))).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(s.idp.key_fetches(), fetched + 1);
    // The old key is gone: its tokens are refused now.
    let page = s.sign_in_with(|n| old.sign(&s.claims(n, "r3"))).await;
    assert_eq!(page.sso_error(), "sso_token_invalid");
    // A token naming a key nobody publishes, right after: refused without another fetch.
    let ghost = Key::new("ghost");
    let page = s.sign_in_with(|n| ghost.sign(&s.claims(n, "r4"))).await;
    assert_eq!(page.sso_error(), "sso_token_invalid");
    assert_eq!(s.idp.key_fetches(), fetched + 1, "refetching keys is rate limited");
}
