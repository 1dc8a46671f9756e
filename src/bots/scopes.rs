//! What a bot token may do. Every route of the API is listed here with the scope a bot
//! needs for it; a route not listed is not for bots at all (token management, profile
//! and password, invitations, administration). Checked once, where a token is turned
//! into the caller (auth::current_user), so no route can forget it.
use actix_web::http::Method;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    ChannelsRead,
    ChannelsHistory,
    ChatWrite,
    ReactionsWrite,
    FilesWrite,
    ChannelsManage,
    UsersRead,
}

pub const ALL: [Scope; 7] = [
    Scope::ChannelsRead,
    Scope::ChannelsHistory,
    Scope::ChatWrite,
    Scope::ReactionsWrite,
    Scope::FilesWrite,
    Scope::ChannelsManage,
    Scope::UsersRead,
];

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChannelsRead => "channels:read",
            Self::ChannelsHistory => "channels:history",
            Self::ChatWrite => "chat:write",
            Self::ReactionsWrite => "reactions:write",
            Self::FilesWrite => "files:write",
            Self::ChannelsManage => "channels:manage",
            Self::UsersRead => "users:read",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ALL.into_iter().find(|scope| scope.as_str() == s)
    }
}

/// Parses a stored or requested scope list (space- or comma-separated).
pub fn parse_list(s: &str) -> Result<Vec<Scope>, String> {
    let mut out = Vec::new();
    for word in s.split([' ', ',']).filter(|w| !w.is_empty()) {
        let scope = Scope::parse(word).ok_or_else(|| format!("unknown scope {word}"))?;
        if !out.contains(&scope) {
            out.push(scope);
        }
    }
    Ok(out)
}

pub fn to_list(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
}

/// What a bot needs to call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotAccess {
    /// Any bot token (its own profile, its workspaces).
    Any,
    Needs(Scope),
    /// Not for bots.
    Never,
}

/// The bot access of a route, by method and matched pattern.
pub fn required(method: &Method, pattern: &str) -> BotAccess {
    use BotAccess::{Any, Needs, Never};
    use Scope::*;
    let path = pattern.strip_prefix("/api/v1").unwrap_or(pattern);
    let m = method.as_str();
    match (m, path) {
        ("GET", "/me" | "/workspaces" | "/workspaces/{workspace_id}") => Any,
        ("GET", "/users/{user_id}" | "/workspaces/{workspace_id}/members" | "/presence") => Needs(UsersRead),
        ("GET", "/workspaces/{workspace_id}/channels" | "/workspaces/{workspace_id}/channels/browse") => {
            Needs(ChannelsRead)
        }
        ("GET", "/channels/{channel_id}" | "/channels/{channel_id}/members") => Needs(ChannelsRead),
        ("POST", "/workspaces/{workspace_id}/channels") => Needs(ChannelsManage),
        ("PATCH", "/channels/{channel_id}") => Needs(ChannelsManage),
        (
            "POST",
            "/channels/{channel_id}/archive"
            | "/channels/{channel_id}/unarchive"
            | "/channels/{channel_id}/join"
            | "/channels/{channel_id}/leave"
            | "/channels/{channel_id}/members",
        ) => Needs(ChannelsManage),
        ("DELETE", "/channels/{channel_id}/members/{user_id}") => Needs(ChannelsManage),
        ("POST", "/workspaces/{workspace_id}/conversations") => Needs(ChatWrite),
        (
            "POST",
            "/channels/{channel_id}/read" | "/channels/{channel_id}/unread" | "/workspaces/{workspace_id}/read",
        ) => Needs(ChannelsHistory),
        (
            "GET",
            "/channels/{channel_id}/messages"
            | "/channels/{channel_id}/pins"
            | "/messages/{message_id}"
            | "/messages/{message_id}/thread"
            | "/channels/{channel_id}/files"
            | "/files/{file_id}"
            | "/files/{file_id}/content"
            | "/files/{file_id}/thumbnail"
            | "/search"
            | "/ws",
        ) => Needs(ChannelsHistory),
        ("POST", "/channels/{channel_id}/messages" | "/messages/{message_id}/pin") => Needs(ChatWrite),
        ("PATCH" | "DELETE", "/messages/{message_id}") | ("DELETE", "/messages/{message_id}/pin") => Needs(ChatWrite),
        ("POST", "/messages/{message_id}/reactions") | ("DELETE", "/messages/{message_id}/reactions/{emoji}") => {
            Needs(ReactionsWrite)
        }
        ("POST", "/channels/{channel_id}/files") | ("DELETE", "/files/{file_id}") => Needs(FilesWrite),
        _ => Never,
    }
}

/// Whether a token with `scopes` (None: a person's token) may make a call that needs
/// `access`; the refusal a bot gets otherwise.
pub fn check(scopes: Option<&str>, access: BotAccess) -> Result<(), crate::error::AppError> {
    let Some(scopes) = scopes else { return Ok(()) };
    match access {
        BotAccess::Any => Ok(()),
        BotAccess::Needs(scope) if scopes.split(' ').any(|s| s == scope.as_str()) => Ok(()),
        BotAccess::Needs(scope) => Err(crate::error::AppError::forbidden(
            "missing_scope",
            format!("this bot token lacks the scope {}", scope.as_str()),
        )),
        BotAccess::Never => Err(crate::access::not_allowed("bots may not use this route")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_unknown_ones_are_refused() {
        let parsed = parse_list("chat:write channels:history,chat:write").unwrap();
        assert_eq!(parsed, vec![Scope::ChatWrite, Scope::ChannelsHistory]);
        assert_eq!(to_list(&parsed), "chat:write channels:history");
        assert!(parse_list("chat:write admin").is_err());
    }

    #[test]
    fn token_and_admin_routes_are_never_for_bots() {
        for (m, p) in [
            (Method::POST, "/api/v1/me/tokens"),
            (Method::GET, "/api/v1/admin/users"),
            (Method::PATCH, "/api/v1/me"),
            (Method::POST, "/api/v1/workspaces/{workspace_id}/invites"),
            (Method::POST, "/api/v1/bots/{bot_id}/tokens"),
        ] {
            assert_eq!(required(&m, p), BotAccess::Never, "{m} {p}");
        }
        assert_eq!(
            required(&Method::POST, "/api/v1/channels/{channel_id}/messages"),
            BotAccess::Needs(Scope::ChatWrite)
        );
    }
}
