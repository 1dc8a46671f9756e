//! The nodes of a cluster: each running node refreshes its own row every minute, so the
//! admin pages of any node list them all with their sockets. A node not seen for three
//! minutes is gone (or cut off); rows a day old are deleted.
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;

use crate::clock::{now_ms, rfc3339};
use crate::error::AppResult;
use crate::state::AppState;

pub mod model {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "nodes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hostname: String,
        pub pid: i32,
        pub version: String,
        pub started_at: i64,
        pub sockets: i32,
        pub connections: i32,
        pub seen_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
use model as node;

/// Seen within this long: running.
const ALIVE_MS: i64 = 3 * 60_000;
const FORGET_MS: i64 = 24 * 3_600_000;

#[derive(Serialize, utoipa::ToSchema)]
pub struct NodeRow {
    pub id: uuid::Uuid,
    pub hostname: String,
    pub pid: i32,
    pub version: String,
    pub started_at: String,
    /// WebSockets open at its last report (at most a minute old).
    pub sockets: i32,
    pub connections: i32,
    pub seen_at: String,
    /// The node that answered.
    pub this_node: bool,
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into())
}

/// Writes this node's row (called every minute by housekeeping).
pub async fn heartbeat(state: &AppState) -> AppResult<()> {
    let clamp = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let started_at = now_ms() - i64::try_from(state.started_at.elapsed().as_millis()).unwrap_or(0);
    let row = node::ActiveModel {
        id: Set(state.node_id),
        hostname: Set(hostname().chars().take(255).collect()),
        pid: Set(i32::try_from(std::process::id()).unwrap_or(0)),
        version: Set(env!("CARGO_PKG_VERSION").into()),
        started_at: Set(started_at),
        sockets: Set(clamp(state.realtime.hub.socket_count().await)),
        connections: Set(clamp(state.connections.open_connections())),
        seen_at: Set(now_ms()),
    };
    let tx = state.db.write().await?;
    node::Entity::insert(row)
        .on_conflict(
            OnConflict::column(node::Column::Id)
                .update_columns([node::Column::Sockets, node::Column::Connections, node::Column::SeenAt])
                .to_owned(),
        )
        .exec_without_returning(&*tx)
        .await?;
    node::Entity::delete_many().filter(node::Column::SeenAt.lt(now_ms() - FORGET_MS)).exec(&*tx).await?;
    tx.commit().await
}

/// The nodes seen in the last three minutes, this one first.
pub async fn alive(conn: &impl ConnectionTrait, this: uuid::Uuid) -> AppResult<Vec<NodeRow>> {
    let rows = node::Entity::find()
        .filter(node::Column::SeenAt.gte(now_ms() - ALIVE_MS))
        .order_by_asc(node::Column::StartedAt)
        .all(conn)
        .await?;
    let mut out: Vec<NodeRow> = rows
        .into_iter()
        .map(|n| NodeRow {
            this_node: n.id == this,
            id: n.id,
            hostname: n.hostname,
            pid: n.pid,
            version: n.version,
            started_at: rfc3339(n.started_at),
            sockets: n.sockets,
            connections: n.connections,
            seen_at: rfc3339(n.seen_at),
        })
        .collect();
    out.sort_by_key(|n| !n.this_node);
    Ok(out)
}
