//! auth.test, users.info, users.list, reactions.add, reactions.remove.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::args::Args;
use super::chat::by_ts;
use super::{ids, shape, Caller, SlackError, SlackResult};
use crate::access::{self, Need};
use crate::accounts::model::user;
use crate::error::AppError;
use crate::messages::reactions;
use crate::state::AppState;
use crate::workspaces::model::{member as ws_member, workspace};

pub async fn auth_test(state: &AppState, who: &Caller) -> SlackResult {
    let ws = who.workspaces(state).await?.into_iter().next();
    let team = match ws {
        Some(id) => workspace::Entity::find_by_id(id).one(&state.db.conn).await.map_err(AppError::from)?,
        None => None,
    };
    let mut v = json!({
        "url": format!("{}/", state.settings.server.site_url.trim_end_matches('/')),
        "team": team.as_ref().map(|t| t.name.clone()),
        "team_id": ws.map(ids::team),
        "user": who.user.username,
        "user_id": ids::user(who.id()),
        "is_enterprise_install": false,
    });
    if who.user.is_bot {
        v["bot_id"] = json!(ids::encode('B', who.id()));
    }
    Ok(v)
}

pub async fn user_info(state: &AppState, who: &Caller, args: &Args) -> SlackResult {
    let id = ids::decode('U', args.required("user")?).ok_or(SlackError("user_not_found"))?;
    let conn = &state.db.conn;
    if !access::shares_workspace(conn, who.id(), id).await? {
        return Err(SlackError("user_not_found"));
    }
    let u =
        user::Entity::find_by_id(id).one(conn).await.map_err(AppError::from)?.ok_or(SlackError("user_not_found"))?;
    Ok(json!({"user": shape::user(&u, who.workspaces(state).await?.into_iter().next())}))
}

pub async fn users_list(state: &AppState, who: &Caller) -> SlackResult {
    let conn = &state.db.conn;
    let mut members = Vec::new();
    for ws in who.workspaces(state).await? {
        let ids: Vec<uuid::Uuid> = ws_member::Entity::find()
            .filter(ws_member::Column::WorkspaceId.eq(ws))
            .all(conn)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|m| m.user_id)
            .collect();
        let users = user::Entity::find()
            .filter(user::Column::Id.is_in(ids))
            .order_by_asc(user::Column::Username)
            .all(conn)
            .await
            .map_err(AppError::from)?;
        members.extend(users.iter().map(|u| shape::user(u, Some(ws))));
    }
    Ok(json!({"members": members, "response_metadata": {"next_cursor": ""}}))
}

pub async fn react(state: &AppState, who: &Caller, args: &Args, add: bool) -> SlackResult {
    let a = who.channel(state, args.required("channel")?, Need::Post).await?;
    let m = by_ts(&state.db.conn, a.channel.id, args.ts("timestamp").as_deref()).await?;
    let name = args.required("name")?;
    let ws = a.channel.workspace_id;
    let done = if add {
        let already = crate::messages::model::reaction::Entity::find_by_id((
            m.id,
            who.id(),
            reactions::validate_emoji(name).map_err(|_| SlackError("invalid_name"))?,
        ))
        .one(&state.db.conn)
        .await
        .map_err(AppError::from)?;
        if already.is_some() {
            return Err(SlackError("already_reacted"));
        }
        reactions::react(&state.db, &m, ws, who.id(), name).await
    } else {
        reactions::unreact(&state.db, &m, ws, who.id(), name).await
    };
    done?;
    Ok(json!({}))
}
