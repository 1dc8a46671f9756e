//! /api/v1/presence and /api/v1/me/presence.
use actix_web::{get, put, web, HttpResponse};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::presence::Status;
use crate::access;
use crate::accounts::model::user;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;
use crate::workspaces::service as workspaces;

const MAX_USERS: usize = 200;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PresenceQuery {
    /// Comma-separated user ids (at most 200).
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
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if access::shares_workspace(&state.db.conn, me.id(), id).await? {
            out.push(PresenceView { user_id: id, status: state.realtime.presence.status(id) });
        }
    }
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceSetting {
    /// Do not disturb: shown as `dnd` while online; notifications hold back.
    pub dnd: bool,
}

/// Turn do-not-disturb on or off.
#[utoipa::path(put, path = "/api/v1/me/presence", tag = "realtime", request_body = PresenceSetting,
    responses((status = 200, body = PresenceView)))]
#[put("/me/presence")]
pub async fn set_presence(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<PresenceSetting>,
) -> AppResult<HttpResponse> {
    user::Entity::update_many()
        .col_expr(user::Column::Dnd, body.dnd.into())
        .filter(user::Column::Id.eq(me.id()))
        .exec(&state.db.conn)
        .await?;
    let ws: Vec<Uuid> = workspaces::list_mine(&state.db.conn, me.id()).await?.into_iter().map(|w| w.id).collect();
    state.realtime.presence.set_dnd(me.id(), ws, body.dnd);
    Ok(HttpResponse::Ok().json(PresenceView { user_id: me.id(), status: state.realtime.presence.status(me.id()) }))
}
