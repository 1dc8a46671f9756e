//! The commands every workspace has. `/me`, `/shrug` and `/help` run on the server;
//! the rest are actions of the web client (it calls the same REST routes its buttons
//! do), listed here so autocomplete and `/help` have one source.
use serde::Serialize;

#[derive(Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Runs {
    Server,
    Client,
}

pub struct Builtin {
    pub name: &'static str,
    pub usage_hint: &'static str,
    pub description: &'static str,
    pub runs: Runs,
}

const fn b(name: &'static str, usage_hint: &'static str, description: &'static str, runs: Runs) -> Builtin {
    Builtin { name, usage_hint, description, runs }
}

pub const BUILTINS: [Builtin; 10] = [
    b("me", "[action]", "Say what you are doing, in italics", Runs::Server),
    b("shrug", "[message]", "Add ¯\\_(ツ)_/¯ to your message", Runs::Server),
    b("topic", "[text]", "Set the channel's topic", Runs::Client),
    b("invite", "@person", "Add someone to this channel", Runs::Client),
    b("leave", "", "Leave this channel", Runs::Client),
    b("mute", "", "Mute or unmute this channel", Runs::Client),
    b("dnd", "", "Turn do-not-disturb on or off", Runs::Client),
    b("away", "", "Appear away, or active again", Runs::Client),
    b("search", "[words]", "Search messages", Runs::Client),
    b("help", "", "List the commands you can use", Runs::Server),
];

/// What `/me` and `/shrug` post, as Markdown.
pub fn message_text(name: &str, text: &str) -> Option<String> {
    let text = text.trim();
    match name {
        "me" if !text.is_empty() => Some(format!("_{text}_")),
        "shrug" => Some(format!("{text} ¯\\\\\\_(ツ)\\_/¯").trim_start().to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn me_and_shrug_render_as_meant() {
        let shrug = message_text("shrug", "oh well").unwrap();
        let html = crate::messages::markdown::render(&shrug).html;
        assert!(html.contains("oh well ¯\\_(ツ)_/¯"), "{html}");
        let me = crate::messages::markdown::render(&message_text("me", "waves").unwrap()).html;
        assert!(me.contains("<em>waves</em>"), "{me}");
        assert_eq!(message_text("me", "  "), None);
    }
}
