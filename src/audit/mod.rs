//! The audit log: who did what to whom, written in the same transaction as the change.
pub mod model;

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

pub async fn record(conn: &impl ConnectionTrait, ev: AuditEvent<'_>) -> AppResult<()> {
    entry::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(now_ms()),
        actor_id: Set(ev.actor),
        workspace_id: Set(ev.workspace),
        action: Set(ev.action.to_owned()),
        target_kind: Set(ev.target_kind.map(str::to_owned)),
        target_id: Set(ev.target_id),
        details: Set(ev.details.to_string()),
        ip: Set(ev.ip),
    }
    .insert(conn)
    .await?;
    Ok(())
}
