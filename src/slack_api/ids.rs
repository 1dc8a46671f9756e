//! Slack-style identifiers for Parley's: a letter for the kind (`C` channel, `U` user,
//! `T` workspace, `F` file) and the UUID in Crockford base32 — reversible, so no
//! mapping table. A message's `ts` is `<created seconds>.<seq, at least 6 digits>`:
//! Slack clients sort and compare it as Slack's, and the seq finds the message.
use uuid::Uuid;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

pub fn encode(kind: char, id: Uuid) -> String {
    let mut n = id.as_u128();
    let mut out = [0u8; 26];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n & 31) as usize];
        n >>= 5;
    }
    let mut s = String::with_capacity(27);
    s.push(kind);
    s.push_str(std::str::from_utf8(&out).unwrap_or_default());
    s
}

/// The UUID of a Slack-style id of `kind`; a Parley UUID is accepted as it is.
pub fn decode(kind: char, s: &str) -> Option<Uuid> {
    if let Ok(id) = s.parse::<Uuid>() {
        return Some(id);
    }
    let body = s.strip_prefix(kind)?;
    if body.len() != 26 {
        return None;
    }
    let mut n: u128 = 0;
    for c in body.bytes() {
        let v = ALPHABET.iter().position(|a| *a == c.to_ascii_uppercase())?;
        n = n.checked_mul(32)?.checked_add(v as u128)?;
    }
    Some(Uuid::from_u128(n))
}

pub fn channel(id: Uuid) -> String {
    encode('C', id)
}

pub fn user(id: Uuid) -> String {
    encode('U', id)
}

pub fn team(id: Uuid) -> String {
    encode('T', id)
}

pub fn ts(created_at_ms: i64, seq: i64) -> String {
    format!("{}.{seq:06}", created_at_ms.div_euclid(1000))
}

pub fn seq_of_ts(ts: &str) -> Option<i64> {
    let (_, frac) = ts.trim().split_once('.')?;
    frac.parse::<i64>().ok().filter(|s| *s > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for _ in 0..100 {
            let id = Uuid::now_v7();
            let c = channel(id);
            assert_eq!((c.len(), &c[..1]), (27, "C"));
            assert_eq!(decode('C', &c), Some(id));
            assert_eq!(decode('U', &c), None, "the kind must match");
            assert_eq!(decode('C', &id.to_string()), Some(id));
        }
        assert_eq!(decode('C', "C123"), None);
        assert_eq!(decode('C', "CZZZZZZZZZZZZZZZZZZZZZZZZZZ"), None, "overflows 128 bits");
    }

    #[test]
    fn timestamps_carry_the_seq() {
        assert_eq!(ts(1_700_000_000_123, 42), "1700000000.000042");
        assert_eq!(seq_of_ts("1700000000.000042"), Some(42));
        assert_eq!(seq_of_ts("1700000000.1234567"), Some(1_234_567));
        assert_eq!(seq_of_ts("nonsense"), None);
    }
}
