//! The web client's files, embedded in the binary and served with ETags: the stylesheets
//! and the ES modules of static/js/ (listed in static/js/MODULES.txt; a test keeps the
//! two in step).
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::error::{AppError, AppResult};

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// (file name, contents) of every module under /static/js/.
pub const MODULES: &[(&str, &str)] = &[
    ("api.js", include_str!("../../static/js/api.js")),
    ("autocomplete.js", include_str!("../../static/js/autocomplete.js")),
    ("cards.js", include_str!("../../static/js/cards.js")),
    ("channel-dialogs.js", include_str!("../../static/js/channel-dialogs.js")),
    ("channel-header.js", include_str!("../../static/js/channel-header.js")),
    ("channel-view.js", include_str!("../../static/js/channel-view.js")),
    ("channels.js", include_str!("../../static/js/channels.js")),
    ("composer.js", include_str!("../../static/js/composer.js")),
    ("constants.js", include_str!("../../static/js/constants.js")),
    ("create-form.js", include_str!("../../static/js/create-form.js")),
    ("details.js", include_str!("../../static/js/details.js")),
    ("dom.js", include_str!("../../static/js/dom.js")),
    ("email-address.js", include_str!("../../static/js/email-address.js")),
    ("email-settings.js", include_str!("../../static/js/email-settings.js")),
    ("emoji-picker.js", include_str!("../../static/js/emoji-picker.js")),
    ("errors.js", include_str!("../../static/js/errors.js")),
    ("events.js", include_str!("../../static/js/events.js")),
    ("hooks.js", include_str!("../../static/js/hooks.js")),
    ("icons.js", include_str!("../../static/js/icons.js")),
    ("integrations-bots.js", include_str!("../../static/js/integrations-bots.js")),
    ("integrations-commands.js", include_str!("../../static/js/integrations-commands.js")),
    ("integrations-hooks.js", include_str!("../../static/js/integrations-hooks.js")),
    ("integrations-outgoing.js", include_str!("../../static/js/integrations-outgoing.js")),
    ("integrations.js", include_str!("../../static/js/integrations.js")),
    ("invite.js", include_str!("../../static/js/invite.js")),
    ("keyboard.js", include_str!("../../static/js/keyboard.js")),
    ("main.js", include_str!("../../static/js/main.js")),
    ("message-actions.js", include_str!("../../static/js/message-actions.js")),
    ("message-list.js", include_str!("../../static/js/message-list.js")),
    ("message-render.js", include_str!("../../static/js/message-render.js")),
    ("messages.js", include_str!("../../static/js/messages.js")),
    ("nav.js", include_str!("../../static/js/nav.js")),
    ("new-conversation.js", include_str!("../../static/js/new-conversation.js")),
    ("notify.js", include_str!("../../static/js/notify.js")),
    ("offline.js", include_str!("../../static/js/offline.js")),
    ("outbox.js", include_str!("../../static/js/outbox.js")),
    ("panel.js", include_str!("../../static/js/panel.js")),
    ("pins.js", include_str!("../../static/js/pins.js")),
    ("presence.js", include_str!("../../static/js/presence.js")),
    ("prompts.js", include_str!("../../static/js/prompts.js")),
    ("realtime.js", include_str!("../../static/js/realtime.js")),
    ("router.js", include_str!("../../static/js/router.js")),
    ("search.js", include_str!("../../static/js/search.js")),
    ("settings.js", include_str!("../../static/js/settings.js")),
    ("shown-once.js", include_str!("../../static/js/shown-once.js")),
    ("sidebar.js", include_str!("../../static/js/sidebar.js")),
    ("sign-in-methods.js", include_str!("../../static/js/sign-in-methods.js")),
    ("slash.js", include_str!("../../static/js/slash.js")),
    ("state.js", include_str!("../../static/js/state.js")),
    ("switcher.js", include_str!("../../static/js/switcher.js")),
    ("theme.js", include_str!("../../static/js/theme.js")),
    ("thread.js", include_str!("../../static/js/thread.js")),
    ("toast.js", include_str!("../../static/js/toast.js")),
    ("typing.js", include_str!("../../static/js/typing.js")),
    ("unread.js", include_str!("../../static/js/unread.js")),
    ("users.js", include_str!("../../static/js/users.js")),
    ("util.js", include_str!("../../static/js/util.js")),
];

/// The client's stylesheet, served as one /static/app.css: static/css/ in the cascade
/// order that static/css/ORDER.txt lists (a test keeps the two in step).
pub const APP_CSS: &str = concat!(
    include_str!("../../static/css/palette.css"),
    include_str!("../../static/css/base.css"),
    include_str!("../../static/css/frame.css"),
    include_str!("../../static/css/main.css"),
    include_str!("../../static/css/messages.css"),
    include_str!("../../static/css/composer.css"),
    include_str!("../../static/css/panels.css"),
    include_str!("../../static/css/auth.css"),
    include_str!("../../static/css/admin.css"),
    include_str!("../../static/css/narrow.css"),
);
pub const PAGE_CSS: &str = include_str!("../../static/parley.css");

pub fn module(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, body)| *body)
}

/// Revalidated on every load (an ETag of the content makes that a 304), so a new
/// server version's client is picked up at the next reload.
fn asset(req: &HttpRequest, body: &'static str, content_type: &'static str) -> HttpResponse {
    let tag = format!("\"{:016x}\"", fnv1a(body.as_bytes()));
    let fresh = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(tag.as_str());
    let mut res = if fresh { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    res.content_type(content_type)
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    if fresh {
        res.finish()
    } else {
        res.body(body)
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The client's ES modules (and theme.js, the one classic script).
#[get("/static/js/{name}")]
pub async fn client_module(req: HttpRequest, name: web::Path<String>) -> AppResult<HttpResponse> {
    let body = module(&name).ok_or(AppError::NotFound("file"))?;
    Ok(asset(&req, body, JS))
}

#[get("/static/app.css")]
pub async fn app_css(req: HttpRequest) -> HttpResponse {
    asset(&req, APP_CSS, CSS)
}

#[get("/static/parley.css")]
pub async fn stylesheet(req: HttpRequest) -> HttpResponse {
    asset(&req, PAGE_CSS, CSS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the files in `dir` that end with `ending`, sorted.
    fn files_ending(dir: &str, ending: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(ending))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn every_module_in_the_directory_is_embedded_and_listed() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/static/js");
        let on_disk = files_ending(dir, ".js");
        let listed = std::fs::read_to_string(format!("{dir}/MODULES.txt")).unwrap();
        let listed: Vec<&str> = listed.lines().filter(|l| !l.is_empty()).collect();
        let embedded: Vec<&str> = MODULES.iter().map(|(n, _)| *n).collect();
        assert_eq!(on_disk, listed);
        assert_eq!(listed, embedded);
        assert!(module("main.js").is_some() && module("../app.css").is_none());
    }

    #[test]
    fn the_stylesheet_is_every_css_file_in_the_listed_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/static/css");
        let order = std::fs::read_to_string(format!("{dir}/ORDER.txt")).unwrap();
        let order: Vec<&str> = order.lines().filter(|l| !l.is_empty()).collect();
        let on_disk = files_ending(dir, ".css");
        let mut listed: Vec<String> = order.iter().map(|s| (*s).to_owned()).collect();
        listed.sort();
        assert_eq!(on_disk, listed);
        let joined: String = order.iter().map(|n| std::fs::read_to_string(format!("{dir}/{n}")).unwrap()).collect();
        assert!(joined == APP_CSS, "APP_CSS must include static/css/ORDER.txt's files in that order");
    }
}
