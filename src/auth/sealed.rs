//! Secrets Parley must read back (an incoming hook's signing secret, an outgoing
//! webhook's key), sealed at rest with ChaCha20-Poly1305 under the server key. Each
//! value is bound to what it belongs to (the associated data), so a sealed value
//! copied to another row does not open.
//!
//! The key is `server.secret_key` (32 bytes, base64), or, when that is empty, a key
//! file made once in the data directory. Several nodes must share one configured key.
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

const VERSION: &str = "v1:";
/// The key's file in the data directory, when the configuration gives none.
pub const KEY_FILE: &str = "secret.key";

pub struct Sealer {
    key: LessSafeKey,
    /// Signs links that must not be forged (auth::signed_link), derived from the key.
    mac: hmac::Key,
    rng: SystemRandom,
}

impl Sealer {
    pub fn new(key: &[u8; 32]) -> anyhow::Result<Self> {
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, key).map_err(|_| anyhow::anyhow!("bad key"))?;
        // A key of its own for signing, so no value is both sealed and signed with one key.
        let derived = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), b"parley signed links v1");
        let mac = hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref());
        Ok(Self { key: LessSafeKey::new(unbound), mac, rng: SystemRandom::new() })
    }

    /// The configured key, or the data directory's key file (created on first use).
    pub fn from_settings(configured: &str, data_dir: &Path) -> anyhow::Result<Self> {
        let encoded = if configured.trim().is_empty() {
            let path = data_dir.join(KEY_FILE);
            if !path.exists() {
                std::fs::create_dir_all(data_dir)?;
                let mut key = [0u8; 32];
                SystemRandom::new().fill(&mut key).map_err(|_| anyhow::anyhow!("no randomness"))?;
                write_private(&path, STANDARD.encode(key).as_bytes())?;
            }
            std::fs::read_to_string(&path)?
        } else {
            configured.to_owned()
        };
        let bytes = STANDARD.decode(encoded.trim()).map_err(|_| anyhow::anyhow!("server.secret_key is not base64"))?;
        let key: [u8; 32] =
            bytes.try_into().map_err(|_| anyhow::anyhow!("server.secret_key must be 32 bytes (base64)"))?;
        Self::new(&key)
    }

    pub fn seal(&self, context: &str, plain: &[u8]) -> anyhow::Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| anyhow::anyhow!("no randomness"))?;
        let mut data = plain.to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(context.as_bytes()), &mut data)
            .map_err(|_| anyhow::anyhow!("seal failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(format!("{VERSION}{}", STANDARD.encode(out)))
    }

    /// An HMAC-SHA256 tag over `data`.
    pub fn sign(&self, data: &[u8]) -> Vec<u8> {
        hmac::sign(&self.mac, data).as_ref().to_vec()
    }

    /// Whether `tag` is `data`'s tag (compared in constant time).
    pub fn verify(&self, data: &[u8], tag: &[u8]) -> bool {
        hmac::verify(&self.mac, data, tag).is_ok()
    }

    pub fn open(&self, context: &str, sealed: &str) -> anyhow::Result<Vec<u8>> {
        let raw = sealed.strip_prefix(VERSION).ok_or_else(|| anyhow::anyhow!("unknown sealed format"))?;
        let bytes = STANDARD.decode(raw)?;
        anyhow::ensure!(bytes.len() > NONCE_LEN, "sealed value too short");
        let (nonce, data) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| anyhow::anyhow!("bad nonce"))?;
        let mut data = data.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut data)
            .map_err(|_| anyhow::anyhow!("a sealed secret did not open: wrong server key or tampered"))?;
        Ok(plain.to_vec())
    }
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_in_their_context_and_under_their_key() {
        let a = Sealer::new(&[7; 32]).unwrap();
        let sealed = a.seal("hook:1", b"s3cret").unwrap();
        assert!(sealed.starts_with("v1:") && !sealed.contains("s3cret"));
        assert_eq!(a.open("hook:1", &sealed).unwrap(), b"s3cret");
        assert!(a.open("hook:2", &sealed).is_err(), "bound to its row");
        assert!(Sealer::new(&[8; 32]).unwrap().open("hook:1", &sealed).is_err(), "another key");
        assert_ne!(a.seal("hook:1", b"s3cret").unwrap(), sealed, "a fresh nonce each time");
    }

    #[test]
    fn a_key_file_is_made_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("parley-sealed-{}", uuid::Uuid::now_v7().simple()));
        let first = Sealer::from_settings("", &dir).unwrap().seal("x", b"y").unwrap();
        assert_eq!(Sealer::from_settings("", &dir).unwrap().open("x", &first).unwrap(), b"y");
        let _ = std::fs::remove_dir_all(dir);
    }
}
