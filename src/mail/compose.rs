//! Building a mail: the headers every Parley mail carries (Message-ID, Date, From with
//! its display name, and for notifications List-Unsubscribe with RFC 8058 one-click,
//! Auto-Submitted, X-Auto-Response-Suppress) around a text and an HTML part. lettre
//! encodes every header value, so a name or subject with CR/LF cannot add a header.
use std::time::SystemTime;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;
use uuid::Uuid;

use super::settings::EmailSettings;

pub struct Draft {
    pub to_name: String,
    pub to_address: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe URL, for mails a person may turn off.
    pub unsubscribe_url: Option<String>,
}

/// Control characters (CR, LF, tabs, bidi tricks aside) have no place in a display name
/// or subject line.
pub fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned()
}

fn header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// The whole message as it goes over the wire, and its Message-ID (made from the mail's
/// id and the site's host, so a retry sends the same one).
pub fn render(id: Uuid, settings: &EmailSettings, site_host: &str, draft: &Draft) -> anyhow::Result<Vec<u8>> {
    let from = Mailbox::new(Some(one_line(&settings.from_name)), settings.from_address.parse()?);
    let to_name = one_line(&draft.to_name);
    let to = Mailbox::new((!to_name.is_empty()).then_some(to_name), draft.to_address.parse()?);
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(one_line(&draft.subject))
        .message_id(Some(format!("<{id}@{site_host}>")))
        .date(SystemTime::now())
        .raw_header(header("Auto-Submitted", "auto-generated".into()))
        .raw_header(header("X-Auto-Response-Suppress", "All".into()));
    if let Some(url) = &draft.unsubscribe_url {
        builder = builder
            .raw_header(header("List-Unsubscribe", format!("<{url}>")))
            .raw_header(header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".into()));
    }
    let message = builder.multipart(MultiPart::alternative_plain_html(draft.text.clone(), draft.html.clone()))?;
    Ok(message.formatted())
}
