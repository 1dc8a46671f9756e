//! Bounds on what one webhook call may post: a sender cannot flood a channel with one
//! message. Over a bound the whole request is refused, never cut silently.
use crate::{invalid, ConvertError, Message};

pub const MAX_TEXT_CHARS: usize = 16_000;
pub const MAX_ATTACHMENTS: usize = 20;
pub const MAX_FIELDS: usize = 50;
pub const MAX_BLOCKS: usize = 50;
pub const MAX_SHORT_CHARS: usize = 300;
/// All card texts together.
pub const MAX_CARD_CHARS: usize = 32_000;

fn chars(s: &Option<String>) -> usize {
    s.as_deref().map_or(0, |t| t.chars().count())
}

pub fn check(m: &Message) -> Result<(), ConvertError> {
    if m.text.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid(format!("text is over {MAX_TEXT_CHARS} characters")));
    }
    if m.attachments.len() > MAX_ATTACHMENTS {
        return Err(invalid(format!("at most {MAX_ATTACHMENTS} attachments")));
    }
    let mut card_chars = 0;
    for a in &m.attachments {
        if a.fields.len() > MAX_FIELDS {
            return Err(invalid(format!("at most {MAX_FIELDS} fields in an attachment")));
        }
        for short in [&a.title, &a.author, &a.footer] {
            if chars(short) > MAX_SHORT_CHARS {
                return Err(invalid(format!("titles, authors and footers are at most {MAX_SHORT_CHARS} characters")));
            }
        }
        card_chars += chars(&a.text) + chars(&a.pretext);
        for f in &a.fields {
            if f.title.chars().count() > MAX_SHORT_CHARS {
                return Err(invalid(format!("field titles are at most {MAX_SHORT_CHARS} characters")));
            }
            card_chars += f.value.chars().count();
        }
    }
    if card_chars > MAX_CARD_CHARS {
        return Err(invalid(format!("attachments hold over {MAX_CARD_CHARS} characters of text")));
    }
    for s in [&m.username, &m.icon_emoji, &m.channel, &m.thread_ts] {
        if chars(s) > MAX_SHORT_CHARS {
            return Err(invalid("username, icon_emoji, channel and thread_ts are short strings"));
        }
    }
    Ok(())
}
