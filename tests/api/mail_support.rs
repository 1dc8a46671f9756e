//! Reading what Parley mailed: the `.eml` files of the outbox folder (the embedded
//! transport), split into headers and decoded text and HTML parts.
use std::path::Path;
use std::time::Duration;

use base64::Engine;
use parley::jobs::model::job;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::helpers::TestApp;

pub struct Mail {
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub html: String,
}

impl Mail {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    /// The one-click unsubscribe URL of List-Unsubscribe.
    pub fn unsubscribe_url(&self) -> String {
        let v = self.header("List-Unsubscribe").expect("List-Unsubscribe");
        v.trim().trim_start_matches('<').trim_end_matches('>').to_owned()
    }
}

/// Unfolded `Name: value` lines up to the first blank line, and the rest.
fn split_headers(raw: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some(last) = headers.last_mut() {
                last.1.push_str(line.trim_start());
            }
        } else if let Some((n, v)) = line.split_once(':') {
            headers.push((n.to_owned(), v.trim().to_owned()));
        }
    }
    (headers, body)
}

fn quoted_printable(s: &str) -> String {
    let joined = s.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn decode(headers: &[(String, String)], body: &str) -> String {
    let encoding = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Transfer-Encoding"))
        .map(|(_, v)| v.to_ascii_lowercase())
        .unwrap_or_default();
    match encoding.as_str() {
        "quoted-printable" => quoted_printable(body),
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD.decode(compact).expect("base64 part");
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ => body.to_owned(),
    }
}

pub fn parse(raw: &str) -> Mail {
    let (headers, body) = split_headers(raw);
    let content_type = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("Content-Type")).map(|(_, v)| v.clone());
    let boundary = content_type
        .as_deref()
        .and_then(|ct| ct.split("boundary=").nth(1))
        .map(|b| b.split(';').next().unwrap_or(b).trim_matches('"').to_owned())
        .expect("a multipart mail");
    let (mut text, mut html) = (String::new(), String::new());
    for part in body.split(&format!("--{boundary}")).skip(1) {
        let part = part.trim_start_matches("\r\n");
        if part.starts_with("--") {
            break;
        }
        let (ph, pb) = split_headers(part);
        let ct = ph.iter().find(|(n, _)| n.eq_ignore_ascii_case("Content-Type")).map(|(_, v)| v.as_str()).unwrap_or("");
        let decoded = decode(&ph, pb.trim_end_matches("\r\n"));
        if ct.starts_with("text/plain") {
            text = decoded;
        } else if ct.starts_with("text/html") {
            html = decoded;
        }
    }
    Mail { headers, text: text.replace("\r\n", "\n"), html: html.replace("\r\n", "\n") }
}

/// The mails in the outbox folder, oldest first (their file names are time-ordered ids).
pub fn outbox(data_dir: &Path) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(data_dir.join("outbox")) else { return Vec::new() };
    let mut names: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml") && !p.to_string_lossy().contains(".partial"))
        .collect();
    names.sort();
    names.iter().map(|p| parse(&std::fs::read_to_string(p).expect("read eml"))).collect()
}

/// Waits until the outbox holds at least `n` mails, and returns them.
pub async fn wait_for_mails(app: &TestApp, n: usize) -> Vec<Mail> {
    for _ in 0..600 {
        let mails = outbox(app.data_dir());
        if mails.len() >= n {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("expected {n} mail(s), the outbox has {}", outbox(app.data_dir()).len());
}

/// Waits until no notification or mail job is left to run (scheduled ones included).
pub async fn settle(app: &TestApp) {
    settle_kinds(app, &["email.decide", "email.digest", "mail.send"]).await;
}

/// Waits until no job of these kinds is left to run (failed ones aside).
pub async fn settle_kinds(app: &TestApp, kinds: &[&str]) {
    for _ in 0..600 {
        let left = job::Entity::find()
            .filter(job::Column::Kind.is_in(kinds.iter().copied()))
            .filter(job::Column::State.ne("failed"))
            .count(&app.state.db.conn)
            .await
            .expect("count jobs");
        if left == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("jobs {kinds:?} did not finish");
}
