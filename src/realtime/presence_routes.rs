//! /api/v1/presence and /api/v1/me/presence.
use actix_web::{get, put, web, HttpResponse};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::presence::{Chosen, Status};
use crate::access;
use crate::accounts::model::user;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;
use crate::workspaces::service as workspaces;

/// The most people one presence request (or WebSocket subscription) may name.
pub const MAX_USERS: usize = 500;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PresenceQuery {
    /// Comma-separated user ids (at most 500).
    pub user_ids: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PresenceView {
    pub user_id: Uuid,
    pub status: Status,
}

/// Presence of people who share a workspace with me (others are left out).
#[utoipa::path(get, path = "/api/v1/presence", tag = "realtime", params(PresenceQuery),
    responses((status = 200, body = [PresenceView]), (status = 422, body = ErrorBody)))]
#[get("/presence")]
pub async fn presence(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<PresenceQuery>,
) -> AppResult<HttpResponse> {
    let mut ids = Vec::new();
    for part in q.user_ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        ids.push(part.parse::<Uuid>().map_err(|_| AppError::invalid("user_ids", "comma-separated user ids"))?);
    }
    if ids.len() > MAX_USERS {
        return Err(AppError::invalid("user_ids", format!("at most {MAX_USERS} ids")));
    }
    Ok(HttpResponse::Ok().json(visible_statuses(&state, me.id(), &ids).await?))
}

/// The statuses of those among `ids` who share a workspace with `me`, in `ids` order.
pub async fn visible_statuses(state: &AppState, me: Uuid, ids: &[Uuid]) -> AppResult<Vec<PresenceView>> {
    let visible = access::sharing_workspace(&state.db.conn, me, ids).await?;
    let mut seen = std::collections::HashSet::new();
    Ok(ids
        .iter()
        .filter(|id| visible.contains(id) && seen.insert(**id))
        .map(|&id| PresenceView { user_id: id, status: state.realtime.presence.status(id) })
        .collect())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceSetting {
    /// Do not disturb: shown as `dnd` while online; notifications hold back.
    pub dnd: Option<bool>,
    /// Away: shown as `away` even while active (the client's `/away`).
    pub away: Option<bool>,
}

/// Turn do-not-disturb or away on or off (a field left out keeps its value).
#[utoipa::path(put, path = "/api/v1/me/presence", tag = "realtime", request_body = PresenceSetting,
    responses((status = 200, body = PresenceView), (status = 422, body = ErrorBody)))]
#[put("/me/presence")]
pub async fn set_presence(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<PresenceSetting>,
) -> AppResult<HttpResponse> {
    if body.dnd.is_none() && body.away.is_none() {
        return Err(AppError::invalid("dnd", "give dnd, away or both"));
    }
    let mut update = user::Entity::update_many().filter(user::Column::Id.eq(me.id()));
    if let Some(dnd) = body.dnd {
        update = update.col_expr(user::Column::Dnd, dnd.into());
    }
    if let Some(away) = body.away {
        update = update.col_expr(user::Column::Away, away.into());
    }
    update.exec(&state.db.conn).await?;
    let now = user::Entity::find_by_id(me.id()).one(&state.db.conn).await?.ok_or(AppError::NotFound("user"))?;
    let ws: Vec<Uuid> = workspaces::list_mine(&state.db.conn, me.id()).await?.into_iter().map(|w| w.id).collect();
    state.realtime.presence.set_chosen(me.id(), ws, Chosen { dnd: now.dnd, away: now.away });
    Ok(HttpResponse::Ok().json(PresenceView { user_id: me.id(), status: state.realtime.presence.status(me.id()) }))
}
