//! The audit log: who did what to whom, from which address and client, written in the
//! same transaction as the change.
pub mod model;
pub mod origin;
pub mod query;
pub mod routes;

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use uuid::Uuid;

use crate::clock::now_ms;
use crate::error::AppResult;
use model::entry;

pub struct AuditEvent<'a> {
    pub actor: Option<Uuid>,
    pub workspace: Option<Uuid>,
    pub action: &'a str,
    pub target_kind: Option<&'a str>,
    pub target_id: Option<Uuid>,
    pub details: serde_json::Value,
    pub ip: Option<String>,
}

impl<'a> AuditEvent<'a> {
    pub fn new(actor: Option<Uuid>, action: &'a str) -> Self {
        Self {
            actor,
            workspace: None,
            action,
            target_kind: None,
            target_id: None,
            details: serde_json::json!({}),
            ip: None,
        }
    }
    pub fn workspace(mut self, id: Uuid) -> Self {
        self.workspace = Some(id);
        self
    }
    pub fn target(mut self, kind: &'a str, id: Uuid) -> Self {
        self.target_kind = Some(kind);
        self.target_id = Some(id);
        self
    }
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
    pub fn ip(mut self, ip: impl ToString) -> Self {
        self.ip = Some(ip.to_string());
        self
    }
}

/// Longest User-Agent kept.
const CLIENT_CHARS: usize = 200;

pub async fn record(conn: &impl ConnectionTrait, ev: AuditEvent<'_>) -> AppResult<()> {
    let from = origin::current();
    let client = from.as_ref().and_then(|o| o.client.as_ref()).and_then(|v| v.to_str().ok());
    entry::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(now_ms()),
        actor_id: Set(ev.actor),
        workspace_id: Set(ev.workspace),
        action: Set(ev.action.to_owned()),
        target_kind: Set(ev.target_kind.map(str::to_owned)),
        target_id: Set(ev.target_id),
        details: Set(ev.details.to_string()),
        ip: Set(ev.ip.or_else(|| from.as_ref().map(|o| o.ip.to_string()))),
        client: Set(client.map(|c| c.chars().take(CLIENT_CHARS).collect())),
    }
    .insert(conn)
    .await?;
    Ok(())
}
