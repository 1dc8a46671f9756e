//! Standard Webhooks signing: a `whsec_` secret (base64 of 32 random bytes), and
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, several
//! space-separated while an old secret is still honoured after a rotation.
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

pub const SECRET_PREFIX: &str = "whsec_";

/// A new secret, as shown to its owner once.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The HMAC key inside a `whsec_` secret.
pub fn key_of(secret: &str) -> Option<Vec<u8>> {
    STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok().filter(|k| !k.is_empty())
}

/// The HMAC key of a secret kept sealed under `context`.
pub fn open_key(sealer: &crate::auth::sealed::Sealer, context: &str, sealed: &str) -> anyhow::Result<Vec<u8>> {
    let secret = String::from_utf8(sealer.open(context, sealed)?)?;
    key_of(&secret).ok_or_else(|| anyhow::anyhow!("a stored signing secret is malformed"))
}

/// One `v1,…` signature of a delivery.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut signed = Vec::with_capacity(id.len() + body.len() + 24);
    signed.extend_from_slice(id.as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(timestamp.to_string().as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    format!("v1,{}", STANDARD.encode(integrations::signature::hmac_sha256(key, &signed)))
}

/// The `webhook-signature` header: one signature per key, space-separated.
pub fn signature_header(keys: &[Vec<u8>], id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter().map(|k| sign(k, id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification.
    #[test]
    fn matches_the_specification_example() {
        let key = key_of("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn new_secrets_are_usable_and_distinct() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(key_of(&a).unwrap().len(), 32);
        assert!(key_of("whsec_").is_none());
        assert!(key_of("nope").is_none());
    }

    #[test]
    fn rotation_sends_both_signatures() {
        let keys = vec![vec![1u8; 32], vec![2u8; 32]];
        let header = signature_header(&keys, "msg_1", 1, b"{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], sign(&keys[0], "msg_1", 1, b"{}"));
        assert_ne!(parts[0], parts[1]);
    }
}
