//! GET /api/v1/search.
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::service::{self, Request, SearchPage};
use super::Sort;
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Words, "exact phrases", prefixes `deplo*`, and the filters `from:@alice`,
    /// `in:#ops`, `before:2026-11-30`, `after:…`, `on:…`, `has:file`, `has:link`, `is:thread`.
    pub q: String,
    /// Only this workspace (default: every workspace you belong to).
    pub workspace_id: Option<Uuid>,
    /// `relevance` (default) or `newest`.
    pub sort: Option<Sort>,
    /// 1-based page number (default 1).
    pub page: Option<u64>,
    /// 1 to 50 (default 20).
    pub per_page: Option<u64>,
}

/// Search the messages you may read. Results only ever come from channels you can read
/// at this moment; paging and `has_more` count only those.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchQuery),
    responses((status = 200, body = SearchPage), (status = 400, body = ErrorBody, description = "invalid_search or invalid_query"),
              (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
#[get("/search")]
pub async fn search(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<SearchQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let req = Request {
        q: q.q,
        workspace_id: q.workspace_id,
        sort: q.sort.unwrap_or(Sort::Relevance),
        page: q.page.unwrap_or(1),
        per_page: q.per_page.unwrap_or(20),
    };
    Ok(HttpResponse::Ok().json(service::search(&state, me.id(), req).await?))
}
