//! One text rule for every string a request carries, on every database: no control
//! characters other than tab, line feed and carriage return. PostgreSQL refuses NUL in
//! text outright (SQLite stores it), and the rest are never meaningful in chat text but
//! can hide content or break terminals and logs.
//!
//! The scanners see the bytes as they arrive (JSON with its `\u` escapes, form and query
//! strings with their `%` escapes), so the check costs no second parse or copy.

/// The first disallowed character found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ControlChar(pub u32);

impl std::fmt::Display for ControlChar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "must not contain control characters (found U+{:04X})", self.0)
    }
}

pub fn disallowed(cp: u32) -> bool {
    matches!(cp, 0x00..=0x08 | 0x0b | 0x0c | 0x0e..=0x1f | 0x7f..=0x9f)
}

/// Checks decoded UTF-8 bytes. C1 controls (U+0080–U+009F) are the two bytes C2 80–9F.
#[derive(Default)]
struct DecodedBytes {
    after_c2: bool,
}

impl DecodedBytes {
    fn byte(&mut self, b: u8) -> Result<(), ControlChar> {
        if std::mem::take(&mut self.after_c2) && (0x80..=0x9f).contains(&b) {
            return Err(ControlChar(u32::from(b)));
        }
        if disallowed(u32::from(b)) && b < 0x80 {
            return Err(ControlChar(u32::from(b)));
        }
        self.after_c2 = b == 0xc2;
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum JsonState {
    Plain,
    Backslash,
    Hex { digits: u8, value: u32 },
}

/// A JSON text, fed in chunks of any size.
pub struct JsonScanner {
    state: JsonState,
    text: DecodedBytes,
}

impl Default for JsonScanner {
    fn default() -> Self {
        Self { state: JsonState::Plain, text: DecodedBytes::default() }
    }
}

impl JsonScanner {
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), ControlChar> {
        for &b in chunk {
            self.state = match self.state {
                JsonState::Plain if b == b'\\' => {
                    self.text.after_c2 = false;
                    JsonState::Backslash
                }
                JsonState::Plain => {
                    self.text.byte(b)?;
                    JsonState::Plain
                }
                JsonState::Backslash => match b {
                    b'u' => JsonState::Hex { digits: 0, value: 0 },
                    b'b' => return Err(ControlChar(0x08)),
                    b'f' => return Err(ControlChar(0x0c)),
                    _ => JsonState::Plain,
                },
                JsonState::Hex { digits, value } => match char::from(b).to_digit(16) {
                    Some(d) if digits == 3 => {
                        let cp = (value << 4) | d;
                        if disallowed(cp) {
                            return Err(ControlChar(cp));
                        }
                        JsonState::Plain
                    }
                    Some(d) => JsonState::Hex { digits: digits + 1, value: (value << 4) | d },
                    // Malformed: the JSON parser refuses it with its own error.
                    None => JsonState::Plain,
                },
            };
        }
        Ok(())
    }
}

/// An `application/x-www-form-urlencoded` body, a query string or a raw path.
#[derive(Default)]
pub struct FormScanner {
    /// Hex digits of a `%XX` escape seen so far.
    escape: Option<(u8, u8)>,
    text: DecodedBytes,
}

impl FormScanner {
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), ControlChar> {
        for &b in chunk {
            match self.escape {
                None if b == b'%' => self.escape = Some((0, 0)),
                None => self.text.byte(b)?,
                Some((n, v)) => match char::from(b).to_digit(16) {
                    Some(d) if n == 1 => {
                        self.escape = None;
                        self.text.byte((v << 4) | d as u8)?;
                    }
                    Some(d) => self.escape = Some((1, d as u8)),
                    None => {
                        self.escape = None;
                        self.text.byte(b)?;
                    }
                },
            }
        }
        Ok(())
    }
}

/// Checks one percent-encoded string (a query string or a path) whole.
pub fn check_encoded(s: &str) -> Result<(), ControlChar> {
    FormScanner::default().feed(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(s: &str) -> Result<(), ControlChar> {
        JsonScanner::default().feed(s.as_bytes())
    }

    #[test]
    fn json_escapes_of_control_characters_are_found() {
        assert_eq!(json(r#"{"email":"a\u0000b@x.test"}"#), Err(ControlChar(0)));
        assert_eq!(json(r#"{"t":"\u001B[31m"}"#), Err(ControlChar(0x1b)));
        assert_eq!(json(r#"{"t":"\u0085"}"#), Err(ControlChar(0x85)));
        assert_eq!(json(r#"{"t":"\b"}"#), Err(ControlChar(8)));
        assert_eq!(json("{\"t\":\"raw \u{85} C1\"}"), Err(ControlChar(0x85)));
        assert_eq!(json("{\"t\":\"del \u{7f}\"}"), Err(ControlChar(0x7f)));
    }

    #[test]
    fn ordinary_text_passes() {
        assert_eq!(json(r#"{"t":"line\nnext\ttab\r\n \"q\" \\u0000 é \u00e9 \u2028 日本"}"#), Ok(()));
        assert_eq!(json("{\"t\": \"Ä ą ċ ž — \u{1F600}\"}"), Ok(()), "C2/C5 lead bytes of letters");
        assert_eq!(json("[\n\t1,\r\n2]"), Ok(()));
    }

    #[test]
    fn escapes_split_across_chunks_are_still_found() {
        let body = br#"{"email":"a\u0000b"}"#;
        for cut in 1..body.len() {
            let mut s = JsonScanner::default();
            let found = s.feed(&body[..cut]).and_then(|()| s.feed(&body[cut..]));
            assert_eq!(found, Err(ControlChar(0)), "cut at {cut}");
        }
    }

    #[test]
    fn form_and_query_strings() {
        assert_eq!(check_encoded("next=/%0A/x"), Ok(()), "line feeds are text (a field may refuse them)");
        assert_eq!(check_encoded("email=a%00b"), Err(ControlChar(0)));
        assert_eq!(check_encoded("q=%c2%85"), Err(ControlChar(0x85)));
        assert_eq!(check_encoded("q=%1b"), Err(ControlChar(0x1b)));
        assert_eq!(check_encoded("q=caf%C3%A9+au+lait&x=%25"), Ok(()));
        let mut s = FormScanner::default();
        assert_eq!(s.feed(b"a=%0").and_then(|()| s.feed(b"0")), Err(ControlChar(0)));
    }
}
