//! Every integration of every workspace — incoming and outgoing webhooks, slash commands
//! and bots — with who made it, when it was last used and how its deliveries fare; and
//! turning one off or on. An integration acts through an identity of its own (a bot
//! user): turning off an incoming hook, a command or a bot deactivates that identity (its
//! posts, calls and tokens are refused); an outgoing hook has its own switch.
use sea_orm::{ConnectionTrait, QueryResult};
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{self, AuditEvent};
use crate::clock::{now_ms, opt_rfc3339};
use crate::db::sql::Sql;
use crate::error::{AppError, AppResult};
use crate::realtime::event::{kind, NewEvent};
use crate::state::AppState;

const DAY_MS: i64 = 86_400_000;

#[derive(Serialize, utoipa::ToSchema)]
pub struct IntegrationRow {
    /// `incoming_hook`, `outgoing_hook`, `command` or `bot`.
    pub kind: &'static str,
    /// The hook's or command's id; a bot's user id.
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub workspace: String,
    /// Its name (`/name` for a command).
    pub name: String,
    /// Who made it (a bot's owner).
    pub owner: Option<String>,
    pub created_at: Option<String>,
    pub last_used_at: Option<String>,
    pub enabled: bool,
    /// Why it is off, when Parley turned it off itself (an outgoing hook that kept failing).
    pub disabled_reason: Option<String>,
    /// Outgoing hooks: deliveries finished in the last 7 days, and how many failed.
    pub deliveries_7d: Option<i64>,
    pub failed_7d: Option<i64>,
}

fn text(r: &QueryResult, i: usize) -> AppResult<Option<String>> {
    Ok(r.try_get_by_index::<Option<String>>(i)?)
}

fn ms(r: &QueryResult, i: usize) -> AppResult<Option<i64>> {
    Ok(r.try_get_by_index::<Option<i64>>(i)?)
}

/// The columns every kind selects, in this order: id, workspace id, workspace name, name,
/// owner's username, created_at, last use, whether the identity is active.
const COMMON: &str = "w.id, w.name";

fn row(kind: &'static str, r: &QueryResult) -> AppResult<IntegrationRow> {
    Ok(IntegrationRow {
        kind,
        id: r.try_get_by_index(0)?,
        workspace_id: r.try_get_by_index(1)?,
        workspace: r.try_get_by_index(2)?,
        name: r.try_get_by_index(3)?,
        owner: text(r, 4)?,
        created_at: opt_rfc3339(ms(r, 5)?),
        last_used_at: opt_rfc3339(ms(r, 6)?),
        enabled: r.try_get_by_index::<Option<i64>>(7)?.is_none(),
        disabled_reason: None,
        deliveries_7d: None,
        failed_7d: None,
    })
}

pub async fn list(state: &AppState) -> AppResult<Vec<IntegrationRow>> {
    let conn = &state.db.conn;
    let pg = state.db.is_postgres();
    let mut out = Vec::new();
    // (kind, table alias and FROM clause, name expression, last-use expression)
    let identities: [(&'static str, &str, &str, &str, &str); 3] = [
        ("incoming_hook", "incoming_hooks x", "x.name", "x.created_by", "x.last_used_at"),
        ("command", "slash_commands x", "'/' || x.name", "x.created_by", "x.last_used_at"),
        (
            "bot",
            "bots x JOIN users b ON b.id = x.user_id",
            "b.display_name",
            "x.owner_id",
            "(SELECT MAX(t.last_used_at) FROM api_tokens t WHERE t.user_id = x.user_id)",
        ),
    ];
    for (kind, from, name, owner, last_use) in identities {
        let (id, identity, extra) = if kind == "bot" {
            ("x.user_id", "x.user_id", " WHERE x.kind = 'bot'")
        } else {
            ("x.id", "x.bot_user_id", "")
        };
        let mut sql = Sql::new(pg);
        sql.push(&format!(
            "SELECT {id}, {COMMON}, {name}, o.username, x.created_at, {last_use}, \
             (SELECT i.deactivated_at FROM users i WHERE i.id = {identity}) \
             FROM {from} JOIN workspaces w ON w.id = x.workspace_id LEFT JOIN users o ON o.id = {owner}{extra} \
             ORDER BY w.name, 4"
        ));
        for r in conn.query_all_raw(sql.statement()).await? {
            out.push(row(kind, &r)?);
        }
    }
    out.extend(outgoing_hooks(conn, pg, None).await?);
    Ok(out)
}

/// One outgoing hook as the list shows it.
pub async fn outgoing_hook(state: &AppState, id: Uuid) -> AppResult<IntegrationRow> {
    let found = outgoing_hooks(&state.db.conn, state.db.is_postgres(), Some(id)).await?.pop();
    found.ok_or(AppError::NotFound("hook"))
}

/// Outgoing hooks with their last week's deliveries (`only`: just that one).
async fn outgoing_hooks(conn: &impl ConnectionTrait, pg: bool, only: Option<Uuid>) -> AppResult<Vec<IntegrationRow>> {
    let since = now_ms() - 7 * DAY_MS;
    let mut sql = Sql::new(pg);
    sql.push(&format!(
        "SELECT x.id, {COMMON}, x.name, o.username, x.created_at, x.last_delivery_at, \
         CASE WHEN x.enabled THEN NULL ELSE CAST(1 AS BIGINT) END, x.disabled_reason, \
         (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.hook_id = x.id AND d.state <> 'pending' AND d.created_at >= "
    ))
    .bind(since)
    .push("), (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.hook_id = x.id AND d.state = 'failed' AND d.created_at >= ")
    .bind(since)
    .push(") FROM outgoing_hooks x JOIN workspaces w ON w.id = x.workspace_id LEFT JOIN users o ON o.id = x.created_by");
    if let Some(id) = only {
        sql.push(" WHERE x.id = ").bind(id);
    }
    sql.push(" ORDER BY w.name, x.name");
    let mut out = Vec::new();
    for r in conn.query_all_raw(sql.statement()).await? {
        let mut hook = row("outgoing_hook", &r)?;
        hook.disabled_reason = text(&r, 8)?;
        hook.deliveries_7d = Some(r.try_get_by_index::<Option<i64>>(9)?.unwrap_or(0));
        hook.failed_7d = Some(r.try_get_by_index::<Option<i64>>(10)?.unwrap_or(0));
        out.push(hook);
    }
    Ok(out)
}

/// Turns an integration off or on, announced and audited.
pub async fn set_enabled(state: &AppState, admin: Uuid, kind: &str, id: Uuid, enabled: bool) -> AppResult<()> {
    use sea_orm::EntityTrait;
    let tx = state.db.write().await?;
    let (workspace, identity) = match kind {
        "outgoing_hook" => {
            use crate::webhooks::outgoing::model::hook;
            let h = hook::Entity::find_by_id(id).one(&*tx).await?.ok_or(AppError::NotFound("hook"))?;
            crate::webhooks::outgoing::service::switch(&*tx, &h, enabled, "turned off by an administrator").await?;
            (h.workspace_id, None)
        }
        "incoming_hook" => {
            use crate::webhooks::incoming::model::hook;
            let h = hook::Entity::find_by_id(id).one(&*tx).await?.ok_or(AppError::NotFound("hook"))?;
            (h.workspace_id, Some(h.bot_user_id))
        }
        "command" => {
            use crate::commands::model::command;
            let c = command::Entity::find_by_id(id).one(&*tx).await?.ok_or(AppError::NotFound("command"))?;
            (c.workspace_id, Some(c.bot_user_id))
        }
        "bot" => {
            use crate::bots::model::{bot, KIND_BOT};
            let b = bot::Entity::find_by_id(id).one(&*tx).await?.filter(|b| b.kind == KIND_BOT);
            let b = b.ok_or(AppError::NotFound("bot"))?;
            (b.workspace_id, Some(b.user_id))
        }
        _ => return Err(AppError::NotFound("route")),
    };
    if let Some(user) = identity {
        crate::accounts::service::set_active(&*tx, user, enabled).await?;
        if !enabled {
            tx.emit(NewEvent::user(kind::USER_DEACTIVATED, user, serde_json::json!({"user_id": user})));
        }
    }
    let action = if enabled { "integration.enabled" } else { "integration.disabled" };
    let event = AuditEvent::new(Some(admin), action).workspace(workspace).target(kind_target(kind), id);
    audit::record(&*tx, event.details(serde_json::json!({ "kind": kind }))).await?;
    tx.commit().await
}

fn kind_target(kind: &str) -> &'static str {
    match kind {
        "bot" => "user",
        "command" => "command",
        _ => "hook",
    }
}

/// Deliveries of an outgoing hook, as its owners see them.
pub async fn deliveries(
    conn: &impl ConnectionTrait,
    hook_id: Uuid,
    q: &crate::webhooks::outgoing::log::LogQuery,
) -> AppResult<Vec<crate::webhooks::outgoing::log::DeliveryView>> {
    use sea_orm::EntityTrait;
    let h = crate::webhooks::outgoing::model::hook::Entity::find_by_id(hook_id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("hook"))?;
    crate::webhooks::outgoing::log::list(conn, &h, q).await
}
