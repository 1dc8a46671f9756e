//! The digest as a mail: grouped by workspace, conversation and thread, each message
//! with its sender, time, text (the sanitised HTML the chat shows; its Markdown source
//! in the text part), attached file names and a link straight to it.
use std::collections::{BTreeSet, HashMap};

use askama::Template;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::digest::Item;
use crate::access::ChannelKind;
use crate::accounts::model::user;
use crate::clock::human_utc;
use crate::error::AppResult;
use crate::files::model::file;
use crate::mail::compose::{one_line, Draft};
use crate::mail::text_part;
use crate::messages::model::message;
use crate::settings::Settings;
use crate::workspaces::model::workspace;

const THREAD_TITLE_CHARS: usize = 80;

pub struct MailItem {
    pub sender: String,
    pub at: String,
    pub html: String,
    pub text: String,
    pub files: Vec<String>,
    pub link: String,
}

pub struct ThreadGroup {
    pub title: Option<String>,
    pub items: Vec<MailItem>,
}

pub struct ChannelGroup {
    pub id: Uuid,
    pub label: String,
    pub threads: Vec<ThreadGroup>,
}

pub struct WorkspaceGroup {
    pub id: Uuid,
    pub name: String,
    pub channels: Vec<ChannelGroup>,
}

#[derive(Template)]
#[template(path = "email/digest.html")]
struct DigestHtml<'a> {
    subject: &'a str,
    name: &'a str,
    workspaces: &'a [WorkspaceGroup],
    settings_url: &'a str,
    unsubscribe_url: &'a str,
}

text_part!(DigestText = "email/digest.txt", DigestHtml);

/// "3 new messages from Alice and 2 others in Acme".
pub fn subject(count: usize, senders: &[String], workspaces: &[String]) -> String {
    let messages = if count == 1 { "1 new message".to_owned() } else { format!("{count} new messages") };
    let from = match senders {
        [] => String::new(),
        [one] => format!(" from {one}"),
        [first, rest @ ..] => {
            format!(" from {first} and {} other{}", rest.len(), if rest.len() == 1 { "" } else { "s" })
        }
    };
    let place = match workspaces {
        [] => String::new(),
        [one] => format!(" in {one}"),
        [first, rest @ ..] => {
            format!(" in {first} and {} other workspace{}", rest.len(), if rest.len() == 1 { "" } else { "s" })
        }
    };
    one_line(&format!("{messages}{from}{place}"))
}

fn channel_label(ch: &crate::channels::model::channel::Model) -> String {
    match ChannelKind::parse(&ch.kind) {
        ChannelKind::Direct => "Direct messages".into(),
        ChannelKind::Group => "Group conversation".into(),
        _ => format!("#{}", ch.name.as_deref().unwrap_or("channel")),
    }
}

fn excerpt(text: &str) -> String {
    let flat = one_line(&text.split_whitespace().collect::<Vec<_>>().join(" "));
    if flat.chars().count() <= THREAD_TITLE_CHARS {
        return flat;
    }
    format!("{}…", flat.chars().take(THREAD_TITLE_CHARS).collect::<String>())
}

pub async fn compose(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    to: &user::Model,
    items: &[Item],
    unsubscribe_url: String,
) -> AppResult<Draft> {
    let message_ids: Vec<Uuid> = items.iter().map(|i| i.message.id).collect();
    let author_ids: BTreeSet<Uuid> = items.iter().map(|i| i.message.author_id).collect();
    let authors: HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(author_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, one_line(&u.display_name)))
        .collect();
    let ws_ids: BTreeSet<Uuid> = items.iter().map(|i| i.channel.workspace_id).collect();
    let ws_names: HashMap<Uuid, String> = workspace::Entity::find()
        .filter(workspace::Column::Id.is_in(ws_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|w| (w.id, one_line(&w.name)))
        .collect();
    let mut files: HashMap<Uuid, Vec<String>> = HashMap::new();
    for f in file::Entity::find().filter(file::Column::MessageId.is_in(message_ids)).all(conn).await? {
        if let Some(m) = f.message_id {
            files.entry(m).or_default().push(one_line(&f.name));
        }
    }
    let root_ids: BTreeSet<Uuid> = items.iter().filter_map(|i| i.message.thread_root_id).collect();
    let roots: HashMap<Uuid, message::Model> = message::Entity::find()
        .filter(message::Column::Id.is_in(root_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();

    let base = settings.site_base();
    let mut workspaces: Vec<WorkspaceGroup> = Vec::new();
    let mut senders: Vec<String> = Vec::new();
    for item in items {
        let m = &item.message;
        let sender = authors.get(&m.author_id).cloned().unwrap_or_else(|| "Someone".into());
        if !senders.contains(&sender) {
            senders.push(sender.clone());
        }
        let ws_id = item.channel.workspace_id;
        let ws_name = ws_names.get(&ws_id).cloned().unwrap_or_default();
        // A reply opens at its thread's first message.
        let target = m.thread_root_id.unwrap_or(m.id);
        let mail_item = MailItem {
            sender,
            at: human_utc(m.created_at),
            html: m.body_html.clone(),
            text: m.body.clone(),
            files: files.remove(&m.id).unwrap_or_default(),
            link: format!("{base}/#/w/{ws_id}/c/{}/m/{target}", m.channel_id),
        };
        let title = m.thread_root_id.map(|r| roots.get(&r).map(|root| excerpt(&root.body)).unwrap_or_default());
        let ws = match workspaces.iter().position(|w| w.id == ws_id) {
            Some(i) => &mut workspaces[i],
            None => {
                workspaces.push(WorkspaceGroup { id: ws_id, name: ws_name, channels: Vec::new() });
                workspaces.last_mut().ok_or_else(|| anyhow::anyhow!("just pushed"))?
            }
        };
        let ch = match ws.channels.iter().position(|c| c.id == item.channel.id) {
            Some(i) => &mut ws.channels[i],
            None => {
                ws.channels.push(ChannelGroup {
                    id: item.channel.id,
                    label: channel_label(&item.channel),
                    threads: Vec::new(),
                });
                ws.channels.last_mut().ok_or_else(|| anyhow::anyhow!("just pushed"))?
            }
        };
        match ch.threads.iter_mut().find(|t| t.title == title) {
            Some(t) => t.items.push(mail_item),
            None => ch.threads.push(ThreadGroup { title, items: vec![mail_item] }),
        }
    }
    let ws_list: Vec<String> = workspaces.iter().map(|w| w.name.clone()).collect();
    let subject = subject(items.len(), &senders, &ws_list);
    let name = one_line(&to.display_name);
    let settings_url = format!("{base}/#settings");
    let parts = DigestHtml {
        subject: &subject,
        name: &name,
        workspaces: &workspaces,
        settings_url: &settings_url,
        unsubscribe_url: &unsubscribe_url,
    };
    let html = parts.render().map_err(anyhow::Error::from)?;
    let text = DigestText(&parts).render().map_err(anyhow::Error::from)?;
    Ok(Draft {
        to_name: name,
        to_address: to.email.clone(),
        subject,
        text,
        html,
        unsubscribe_url: Some(unsubscribe_url),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_the_first_sender_and_count_the_rest() {
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(subject(1, &names(&["Alice"]), &names(&["Acme"])), "1 new message from Alice in Acme");
        assert_eq!(
            subject(3, &names(&["Alice", "Bob", "Cy"]), &names(&["Acme"])),
            "3 new messages from Alice and 2 others in Acme"
        );
        assert_eq!(
            subject(2, &names(&["Alice", "Bob"]), &names(&["Acme", "Beta"])),
            "2 new messages from Alice and 1 other in Acme and 1 other workspace"
        );
        assert_eq!(subject(1, &names(&["Eve\r\nBcc: x@evil"]), &[]), "1 new message from Eve  Bcc: x@evil");
    }
}
