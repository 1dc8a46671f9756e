//! A search request end to end: parse, apply permissions, ask the backend, then show
//! each hit as its message with a highlighted snippet, its channel and a permalink.
use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use uuid::Uuid;

use super::query;
use super::text::snippet;
use super::{scope, Page, SearchIndex, Sort};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::messages::model::message;
use crate::messages::view::{self as message_view, MessageView};
use crate::state::AppState;

pub const MAX_PER_PAGE: u64 = 50;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ResultChannel {
    pub id: Uuid,
    pub workspace_id: Uuid,
    /// `public`, `private`, `direct` or `group`.
    pub kind: String,
    /// None for direct and group conversations.
    pub name: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchResult {
    pub message: MessageView,
    pub channel: ResultChannel,
    /// HTML: an escaped excerpt with the matches in `<mark>`.
    pub snippet: String,
    /// The message in context: a page of its channel's history centred on it (with
    /// thread replies when it is one).
    pub permalink: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchPage {
    pub results: Vec<SearchResult>,
    pub page: u64,
    pub per_page: u64,
    pub has_more: bool,
    pub sort: Sort,
}

pub struct Request {
    pub q: String,
    pub workspace_id: Option<Uuid>,
    pub sort: Sort,
    pub page: u64,
    pub per_page: u64,
}

pub async fn search(state: &AppState, me: Uuid, req: Request) -> AppResult<SearchPage> {
    let found = search_in(&state.db, state.search.as_ref(), me, req).await;
    if let Err(AppError::Unavailable("search")) = &found {
        state.faults.note("search", "a search query failed (the server log has the error)");
    }
    found
}

/// The same, on any database and index (the benchmark calls it directly).
pub async fn search_in(db: &Db, index: &dyn SearchIndex, me: Uuid, req: Request) -> AppResult<SearchPage> {
    if req.per_page == 0 || req.per_page > MAX_PER_PAGE {
        return Err(AppError::invalid("per_page", format!("must be 1 to {MAX_PER_PAGE}")));
    }
    if req.page == 0 || req.page > 1000 {
        return Err(AppError::invalid("page", "must be 1 to 1000"));
    }
    let parsed = query::parse(&req.q)?;
    let empty =
        || SearchPage { results: Vec::new(), page: req.page, per_page: req.per_page, has_more: false, sort: req.sort };
    let Some((scoped, channels)) = scope::scope(&db.conn, me, req.workspace_id, parsed).await? else {
        return Ok(empty());
    };
    let page = Page { offset: (req.page - 1) * req.per_page, limit: req.per_page };
    let found = index.search(&scoped, req.sort, page).await.map_err(|e| {
        tracing::warn!(backend = index.name(), error = %e, "search failed");
        AppError::Unavailable("search")
    })?;
    let rows =
        message::Entity::find().filter(message::Column::Id.is_in(found.message_ids.clone())).all(&db.conn).await?;
    // The index may lag a delete by a moment; a deleted message is never shown.
    let by_id: HashMap<Uuid, message::Model> =
        rows.into_iter().filter(|m| m.deleted_at.is_none()).map(|m| (m.id, m)).collect();
    let ordered: Vec<message::Model> = found.message_ids.iter().filter_map(|id| by_id.get(id).cloned()).collect();
    let views = message_view::views(db, &ordered).await?;
    let channels: HashMap<Uuid, _> = channels.into_iter().map(|c| (c.id, c)).collect();
    let needles: Vec<String> = scoped.query.terms.iter().map(|t| t.text().to_owned()).collect();
    let results = views
        .into_iter()
        .filter_map(|v| {
            let c = channels.get(&v.channel_id)?;
            let names: Vec<&str> = v.files.iter().map(|f| f.name.as_str()).collect();
            let text = match (names.is_empty(), v.text.is_empty()) {
                (true, _) => v.text.clone(),
                (false, true) => format!("Attached: {}", names.join(", ")),
                (false, false) => format!("{}\nAttached: {}", v.text, names.join(", ")),
            };
            Some(SearchResult {
                snippet: snippet(&text, &needles, 200),
                permalink: format!(
                    "/api/v1/channels/{}/messages?around_id={}{}",
                    v.channel_id,
                    v.id,
                    if v.thread_root_id.is_some() { "&include_replies=true" } else { "" }
                ),
                channel: ResultChannel {
                    id: c.id,
                    workspace_id: c.workspace_id,
                    kind: c.kind.clone(),
                    name: c.name.clone(),
                },
                message: v,
            })
        })
        .collect();
    Ok(SearchPage { results, page: req.page, per_page: req.per_page, has_more: found.has_more, sort: req.sort })
}
