//! argon2id password hashing with OWASP's recommended parameters (m=19 MiB, t=2, p=1),
//! run on dedicated threads so hashing never stalls the async workers.
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use std::sync::{mpsc, Arc, LazyLock, Mutex};

use crate::error::{AppError, AppResult};

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 1024;

/// Hashing runs on two dedicated threads. Each hash holds 19 MiB and keeps a core
/// busy; on the shared blocking pool the hashes would spread over many threads, and
/// glibc keeps each thread's freed 19 MiB resident in that thread's arena (hundreds of
/// MB after a burst of sign-ins). Two long-lived threads bound that to two blocks.
type Job = Box<dyn FnOnce() + Send>;

static HASHERS: LazyLock<Mutex<Option<mpsc::Sender<Job>>>> = LazyLock::new(|| {
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    for i in 0..2 {
        let rx = rx.clone();
        let spawned = std::thread::Builder::new().name(format!("argon2-{i}")).spawn(move || loop {
            let job = match rx.lock() {
                Ok(r) => r.recv(),
                Err(_) => return,
            };
            match job {
                Ok(job) => job(),
                Err(_) => return,
            }
        });
        if spawned.is_err() {
            return Mutex::new(None);
        }
    }
    Mutex::new(Some(tx))
});

async fn on_hasher<T: Send + 'static>(work: impl FnOnce() -> AppResult<T> + Send + 'static) -> AppResult<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    let sender = HASHERS.lock().ok().and_then(|s| s.clone()).ok_or_else(|| anyhow::anyhow!("no hashing threads"))?;
    sender.send(job).map_err(|_| anyhow::anyhow!("hashing threads stopped"))?;
    rx.await.map_err(|_| anyhow::anyhow!("hashing job dropped"))?
}

fn hasher() -> AppResult<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// zxcvbn's estimate must put a new password past 10^8 guesses: out of reach of the
/// common-password lists, keyboard walks, dates and the person's own name and address.
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// The rules for a new password, wherever one is set: length, and not guessable from
/// common-password lists or from `personal` (the person's name, username, e-mail).
pub fn validate(password: &str, personal: &[&str]) -> AppResult<()> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(AppError::invalid("password", format!("must be at least {MIN_LEN} characters")));
    }
    if password.len() > MAX_LEN {
        return Err(AppError::invalid("password", format!("must be at most {MAX_LEN} bytes")));
    }
    let mut inputs: Vec<&str> = personal.iter().copied().filter(|s| !s.is_empty()).collect();
    inputs.extend(personal.iter().filter_map(|s| s.split_once('@')).map(|(local, _)| local));
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if estimate.score() >= MIN_SCORE {
        return Ok(());
    }
    let mut reason = String::from("is too easy to guess");
    if let Some(f) = estimate.feedback() {
        if let Some(w) = f.warning() {
            reason = format!("{reason}: {}", w.to_string().trim_end_matches('.'));
        }
        if let Some(s) = f.suggestions().first() {
            reason = format!("{reason}. {s}");
        }
    }
    if !reason.ends_with('.') {
        reason.push('.');
    }
    Err(AppError::invalid("password", reason))
}

pub async fn hash(password: String) -> AppResult<String> {
    on_hasher(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        let hash = hasher()?.hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
        Ok(hash.to_string())
    })
    .await
}

/// Verifies in constant time. With no stored hash a dummy hash is checked anyway so
/// "no such account" and "wrong password" take the same time.
pub async fn verify(password: String, stored: Option<String>) -> AppResult<bool> {
    on_hasher(move || {
        let hasher = hasher()?;
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
        let ok = hasher.verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(ok && stored != DUMMY_HASH)
    })
    .await
}

/// argon2id hash of a random string nobody knows, with the same parameters.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0Q9vV6J3u0mKx8kXz0m1r1i5Qm2m4Qb3qf0b6r0H9Jw";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_and_personal_passwords_are_refused() {
        for weak in ["password", "password1", "12345678", "qwertyuiop", "iloveyou", "Passw0rd!", "letmein123"] {
            let e = validate(weak, &[]).expect_err(weak);
            assert!(e.to_string().contains("too easy to guess"), "{weak}: {e}");
        }
        assert!(validate("adalovelace1815", &["Ada Lovelace", "ada@acme.test", "adalovelace"]).is_err());
        assert!(validate("ada@acme.test", &["ada@acme.test"]).is_err(), "the e-mail itself");
        for good in
            ["correct horse battery staple", "load-generator password", "a brand new passphrase", "k7#Vq9!mZ2pL"]
        {
            assert!(validate(good, &["Ada", "ada@acme.test"]).is_ok(), "{good}");
        }
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse".into(), Some(h.clone())).await.unwrap());
        assert!(!verify("wrong horse".into(), Some(h)).await.unwrap());
        assert!(!verify("anything".into(), None).await.unwrap());
    }
}
