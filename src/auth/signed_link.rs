//! Links that act without a sign-in (a mail's unsubscribe link): what they do, for whom
//! and until when, signed with the server key. Anyone holding the link can use it until
//! it expires, so each carries one narrow purpose.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use uuid::Uuid;

use super::sealed::Sealer;
use crate::clock::now_ms;
use crate::error::AppError;

#[derive(Debug, PartialEq, Eq)]
pub struct Claim {
    pub user_id: Uuid,
    /// Whatever the purpose needs besides the person (no `:`).
    pub extra: String,
}

pub fn sign(sealer: &Sealer, purpose: &str, user_id: Uuid, extra: &str, valid_ms: i64) -> String {
    let expires = now_ms().saturating_add(valid_ms);
    let payload = format!("{purpose}:{user_id}:{expires}:{extra}");
    let tag = sealer.sign(payload.as_bytes());
    format!("{}.{}", URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(tag))
}

/// The link's claim, if it was made here for `purpose` and has not expired.
pub fn verify(sealer: &Sealer, purpose: &str, token: &str) -> Result<Claim, AppError> {
    let invalid = || AppError::bad_request("link_invalid", "this link is not valid; use the newest one you were sent");
    let (payload, tag) = token.trim().split_once('.').ok_or_else(invalid)?;
    let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
    let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
    if !sealer.verify(&payload, &tag) {
        return Err(invalid());
    }
    let payload = String::from_utf8(payload).map_err(|_| invalid())?;
    let mut parts = payload.splitn(4, ':');
    let (Some(p), Some(user), Some(expires), Some(extra)) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    if p != purpose {
        return Err(invalid());
    }
    let user_id = user.parse::<Uuid>().map_err(|_| invalid())?;
    let expires = expires.parse::<i64>().map_err(|_| invalid())?;
    if now_ms() >= expires {
        return Err(AppError::bad_request("link_expired", "this link has expired; use the one in a newer mail"));
    }
    Ok(Claim { user_id, extra: extra.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_works_for_its_purpose_until_it_expires_and_not_when_changed() {
        let sealer = Sealer::new(&[3; 32]).unwrap();
        let user = Uuid::now_v7();
        let token = sign(&sealer, "unsubscribe", user, "x", 60_000);
        assert_eq!(verify(&sealer, "unsubscribe", &token).unwrap(), Claim { user_id: user, extra: "x".into() });
        assert_eq!(verify(&sealer, "resubscribe", &token).unwrap_err().code(), "link_invalid");
        let other_key = Sealer::new(&[4; 32]).unwrap();
        assert_eq!(verify(&other_key, "unsubscribe", &token).unwrap_err().code(), "link_invalid");
        let (payload, tag) = token.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode(format!("unsubscribe:{}:99999999999999:x", Uuid::now_v7()));
        assert_eq!(verify(&sealer, "unsubscribe", &format!("{forged}.{tag}")).unwrap_err().code(), "link_invalid");
        let mut bad_tag = tag.to_owned();
        bad_tag.replace_range(0..1, if tag.starts_with('A') { "B" } else { "A" });
        assert_eq!(verify(&sealer, "unsubscribe", &format!("{payload}.{bad_tag}")).unwrap_err().code(), "link_invalid");
        assert_eq!(verify(&sealer, "unsubscribe", "garbage").unwrap_err().code(), "link_invalid");
        let expired = sign(&sealer, "unsubscribe", user, "", 0);
        assert_eq!(verify(&sealer, "unsubscribe", &expired).unwrap_err().code(), "link_expired");
    }
}
