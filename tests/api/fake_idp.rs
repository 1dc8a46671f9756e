//! A small OpenID provider of the test's own, for what a real one will not do: hand out
//! a crafted ID token (wrong nonce, other audience, expired, unsigned, signed with the
//! client secret or an unknown key) from its token endpoint, and rotate its keys.
//! Keys are ES256 (ring); discovery, keys and token endpoint only — the test opens the
//! callback itself, as the provider would have sent the browser there.
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpResponse, HttpServer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

pub struct Key {
    pub kid: String,
    pair: EcdsaKeyPair,
}

impl Key {
    pub fn new(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).expect("key");
        Self { kid: kid.into(), pair }
    }

    fn jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        json!({"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": self.kid,
               "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65])})
    }

    /// A compact JWS over `claims`, ES256, with this key's id.
    pub fn sign(&self, claims: &Value) -> String {
        let input = signing_input(&json!({"alg": "ES256", "typ": "JWT", "kid": self.kid}), claims);
        let sig = self.pair.sign(&SystemRandom::new(), input.as_bytes()).expect("sign");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }
}

fn signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()))
}

/// `alg: none`, no signature.
pub fn unsigned(claims: &Value) -> String {
    format!("{}.", signing_input(&json!({"alg": "none", "typ": "JWT"}), claims))
}

/// HS256 with `secret` as the key (what a provider's public key would be misused as).
pub fn hs256(secret: &str, claims: &Value) -> String {
    let input = signing_input(&json!({"alg": "HS256", "typ": "JWT"}), claims);
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(ring::hmac::sign(&key, input.as_bytes()).as_ref()))
}

#[derive(Default)]
struct Shared {
    published: Vec<Value>,
    next_id_token: String,
    key_fetches: usize,
}

pub struct FakeIdp {
    pub issuer: String,
    shared: Arc<Mutex<Shared>>,
}

impl FakeIdp {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let issuer = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (s, iss) = (shared.clone(), issuer.clone());
        let server = HttpServer::new(move || {
            let (s2, s3, iss) = (s.clone(), s.clone(), iss.clone());
            App::new()
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(move || {
                        let iss = iss.clone();
                        async move {
                            HttpResponse::Ok().json(json!({
                                "issuer": iss, "authorization_endpoint": format!("{iss}/auth"),
                                "token_endpoint": format!("{iss}/token"), "jwks_uri": format!("{iss}/jwks"),
                                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                                // HS256 is advertised too: Parley must refuse it anyway.
                                "id_token_signing_alg_values_supported": ["ES256", "HS256"]
                            }))
                        }
                    }),
                )
                .route(
                    "/jwks",
                    web::get().to(move || {
                        let s = s2.clone();
                        async move {
                            let mut g = s.lock().expect("lock");
                            g.key_fetches += 1;
                            HttpResponse::Ok().json(json!({"keys": g.published}))
                        }
                    }),
                )
                .route(
                    "/token",
                    web::post().to(move || {
                        let s = s3.clone();
                        async move {
                            let token = s.lock().expect("lock").next_id_token.clone();
                            let mut body = json!({"access_token": "at", "token_type": "Bearer", "expires_in": 300});
                            if !token.is_empty() {
                                body["id_token"] = json!(token);
                            }
                            HttpResponse::Ok().json(body)
                        }
                    }),
                )
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        Self { issuer, shared }
    }

    /// The keys the provider publishes from now on.
    pub fn publish(&self, keys: &[&Key]) {
        self.shared.lock().expect("lock").published = keys.iter().map(|k| k.jwk()).collect();
    }

    /// What the token endpoint answers as `id_token` next (empty: no ID token).
    pub fn hand_out(&self, id_token: String) {
        self.shared.lock().expect("lock").next_id_token = id_token;
    }

    pub fn key_fetches(&self) -> usize {
        self.shared.lock().expect("lock").key_fetches
    }
}
