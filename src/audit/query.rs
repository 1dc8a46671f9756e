//! Reading the audit log: filters, pages newest first, and exports streamed a page at a
//! time (CSV or JSON Lines) so a long log is never held in memory.
use std::collections::HashMap;

use bytes::Bytes;
use futures_util::Stream;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::entry;
use crate::accounts::model::user;
use crate::clock::{parse_time_or_day, rfc3339};
use crate::error::{AppError, AppResult};

pub const PAGE: u64 = 100;
const MAX_PAGE: u64 = 1000;
/// Rows read per round trip while exporting.
const EXPORT_BATCH: u64 = 500;

#[derive(Deserialize, Default, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Who acted: a username or an account id.
    pub actor: Option<String>,
    /// An action (`user.deactivated`), or every action under a prefix ending in a dot (`user.`).
    pub action: Option<String>,
    /// What was acted on (an id).
    pub target: Option<Uuid>,
    pub workspace: Option<Uuid>,
    /// From this time on: RFC 3339, or a day (YYYY-MM-DD, UTC).
    pub since: Option<String>,
    /// Before this time: RFC 3339, or a day (its start).
    pub until: Option<String>,
    /// Entries older than this one (paging, newest first).
    pub before: Option<Uuid>,
    /// At most this many (100 unless set; 1,000 at most).
    pub limit: Option<u64>,
}

/// One entry as the API, the page and the exports show it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditView {
    pub id: Uuid,
    pub at: String,
    pub actor_id: Option<Uuid>,
    /// The actor's username (absent for Parley itself).
    pub actor: Option<String>,
    pub workspace_id: Option<Uuid>,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<Uuid>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub ip: Option<String>,
    pub client: Option<String>,
}

/// A query checked and resolved: what rows to read.
#[derive(Clone)]
pub struct Filter {
    condition: Condition,
}

fn time(value: &Option<String>, field: &'static str) -> AppResult<Option<i64>> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| parse_time_or_day(v).ok_or_else(|| AppError::invalid(field, "an RFC 3339 time or a day (YYYY-MM-DD)")))
        .transpose()
}

impl Filter {
    pub async fn new(conn: &DatabaseConnection, q: &AuditQuery) -> AppResult<Self> {
        let mut c = Condition::all();
        if let Some(actor) = q.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            let id = match actor.parse::<Uuid>() {
                Ok(id) => Some(id),
                Err(_) => user::Entity::find()
                    .filter(user::Column::Username.eq(actor.trim_start_matches('@')))
                    .one(conn)
                    .await?
                    .map(|u| u.id),
            };
            // An unknown actor matches nothing rather than everything.
            c = c.add(entry::Column::ActorId.eq(id.unwrap_or(Uuid::nil())));
        }
        if let Some(action) = q.action.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            c = c.add(match action.strip_suffix('.') {
                Some(prefix) => entry::Column::Action.starts_with(format!("{prefix}.")),
                None => entry::Column::Action.eq(action),
            });
        }
        if let Some(t) = q.target {
            c = c.add(entry::Column::TargetId.eq(t));
        }
        if let Some(w) = q.workspace {
            c = c.add(entry::Column::WorkspaceId.eq(w));
        }
        if let Some(since) = time(&q.since, "since")? {
            c = c.add(entry::Column::At.gte(since));
        }
        if let Some(until) = time(&q.until, "until")? {
            c = c.add(entry::Column::At.lt(until));
        }
        Ok(Self { condition: c })
    }
}

/// Up to `limit` entries older than `before`, newest first.
pub async fn page(
    conn: &DatabaseConnection,
    filter: &Filter,
    before: Option<Uuid>,
    limit: u64,
) -> AppResult<Vec<AuditView>> {
    let mut select = entry::Entity::find().filter(filter.condition.clone());
    if let Some(b) = before {
        select = select.filter(entry::Column::Id.lt(b));
    }
    let rows = select.order_by_desc(entry::Column::Id).limit(limit).all(conn).await?;
    let mut actors: Vec<Uuid> = rows.iter().filter_map(|r| r.actor_id).collect();
    actors.sort_unstable();
    actors.dedup();
    let names: HashMap<Uuid, String> = if actors.is_empty() {
        HashMap::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(actors))
            .all(conn)
            .await?
            .into_iter()
            .map(|u| (u.id, u.username))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|r| AuditView {
            id: r.id,
            at: rfc3339(r.at),
            actor: r.actor_id.and_then(|a| names.get(&a).cloned()),
            actor_id: r.actor_id,
            workspace_id: r.workspace_id,
            action: r.action,
            target_kind: r.target_kind,
            target_id: r.target_id,
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
            ip: r.ip,
            client: r.client,
        })
        .collect())
}

pub fn limit_of(q: &AuditQuery) -> AppResult<u64> {
    let limit = q.limit.unwrap_or(PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(AppError::invalid("limit", format!("from 1 to {MAX_PAGE}")));
    }
    Ok(limit)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    pub fn parse(s: Option<&str>) -> AppResult<Self> {
        match s.unwrap_or("jsonl") {
            "csv" => Ok(Self::Csv),
            "jsonl" => Ok(Self::JsonLines),
            _ => Err(AppError::invalid("format", "csv or jsonl")),
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::JsonLines => "application/jsonl; charset=utf-8",
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::JsonLines => "jsonl",
        }
    }
}

const CSV_HEADER: [&str; 11] =
    ["id", "at", "actor_id", "actor", "workspace_id", "action", "target_kind", "target_id", "details", "ip", "client"];

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// One batch of entries in `format` (with the CSV header first when `first`).
fn encode(format: Format, rows: &[AuditView], first: bool) -> AppResult<Bytes> {
    match format {
        Format::JsonLines => {
            let mut out = Vec::new();
            for r in rows {
                serde_json::to_writer(&mut out, r).map_err(anyhow::Error::from)?;
                out.push(b'\n');
            }
            Ok(out.into())
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            if first {
                w.write_record(CSV_HEADER).map_err(anyhow::Error::from)?;
            }
            for r in rows {
                w.write_record([
                    r.id.to_string(),
                    r.at.clone(),
                    opt(&r.actor_id),
                    opt(&r.actor),
                    opt(&r.workspace_id),
                    r.action.clone(),
                    opt(&r.target_kind),
                    opt(&r.target_id),
                    r.details.to_string(),
                    opt(&r.ip),
                    opt(&r.client),
                ])
                .map_err(anyhow::Error::from)?;
            }
            Ok(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?.into())
        }
    }
}

/// Every entry the filter matches, newest first, read and encoded a batch at a time.
pub fn export(
    conn: DatabaseConnection,
    filter: Filter,
    format: Format,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
    struct Cursor {
        before: Option<Uuid>,
        first: bool,
        done: bool,
    }
    let start = Cursor { before: None, first: true, done: false };
    futures_util::stream::unfold(start, move |cur| {
        let (conn, filter) = (conn.clone(), filter.clone());
        async move {
            if cur.done {
                return None;
            }
            let batch = match page(&conn, &filter, cur.before, EXPORT_BATCH).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "audit export stopped");
                    return Some((Err(e.into()), Cursor { done: true, ..cur }));
                }
            };
            let done = (batch.len() as u64) < EXPORT_BATCH;
            let next = Cursor { before: batch.last().map(|r| r.id), first: false, done };
            let chunk = encode(format, &batch, cur.first).map_err(actix_web::Error::from);
            Some((chunk, next))
        }
    })
}
