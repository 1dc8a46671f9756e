//! The overview: who uses the instance, how much it holds, and whether its queues flow.
use std::collections::HashMap;

use sea_orm::{ConnectionTrait, QueryResult};
use serde::Serialize;
use uuid::Uuid;

use crate::clock::now_ms;
use crate::db::sql::Sql;
use crate::error::AppResult;
use crate::state::AppState;

const DAY_MS: i64 = 86_400_000;
/// Days of history in `messages_per_day` and `top_channels`.
pub const DAYS: i64 = 30;
/// Days of webhook deliveries the success rate is taken over.
const WEBHOOK_DAYS: i64 = 7;
const TOP_CHANNELS: i64 = 5;
const STORAGE_ROWS: i64 = 20;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Overview {
    pub version: String,
    pub uptime_s: u64,
    pub database: DatabaseFigures,
    pub people: PeopleFigures,
    /// Messages posted per UTC day, the last 30 days, oldest first (days without any included).
    pub messages_per_day: Vec<DayCount>,
    /// The channels with the most messages in the last 30 days.
    pub top_channels: Vec<ChannelCount>,
    /// Files stored per workspace, largest first.
    pub storage: Vec<WorkspaceStorage>,
    /// WebSockets open on the node that answered.
    pub sockets: usize,
    /// Every node seen in the last three minutes, with its sockets at its last report.
    pub nodes: Vec<super::nodes::NodeRow>,
    pub jobs: JobFigures,
    pub mail: MailFigures,
    pub webhooks: WebhookFigures,
    pub search: SearchFigures,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DatabaseFigures {
    /// `sqlite` or `postgresql`.
    pub kind: &'static str,
    pub size_bytes: i64,
}

/// People (bots and hook identities are not people); "active" means signed in or used a
/// session or token within the last day, 7 days or 30 days.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PeopleFigures {
    pub total: i64,
    pub deactivated: i64,
    pub active_day: i64,
    pub active_week: i64,
    pub active_month: i64,
    pub bots: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DayCount {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub messages: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChannelCount {
    pub channel_id: Uuid,
    pub workspace: String,
    /// The channel's name; direct messages have none.
    pub name: Option<String>,
    pub kind: String,
    pub messages: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct WorkspaceStorage {
    pub workspace_id: Uuid,
    pub name: String,
    pub files: i64,
    pub bytes: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct JobFigures {
    pub queued: i64,
    pub running: i64,
    pub failed: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MailFigures {
    pub pending: i64,
    pub sent: i64,
    /// Given up on after retries; an admin can retry them.
    pub parked: i64,
}

/// Outgoing webhook deliveries made in the last 7 days.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WebhookFigures {
    pub delivered: i64,
    pub failed: i64,
    pub pending: i64,
    /// delivered / (delivered + failed); absent when nothing finished.
    pub success_rate: Option<f64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchFigures {
    /// `database` or `meilisearch`.
    pub backend: &'static str,
    /// Messages waiting to be indexed.
    pub queued: i64,
    /// Age of the oldest of them, in seconds.
    pub lag_s: Option<i64>,
}

pub async fn overview(state: &AppState) -> AppResult<Overview> {
    let conn = &state.db.conn;
    let pg = state.db.is_postgres();
    let now = now_ms();
    Ok(Overview {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_s: state.started_at.elapsed().as_secs(),
        database: DatabaseFigures {
            kind: if pg { "postgresql" } else { "sqlite" },
            size_bytes: database_size(conn, pg).await?,
        },
        people: people(conn, pg, now).await?,
        messages_per_day: messages_per_day(conn, pg, now).await?,
        top_channels: top_channels(conn, pg, now).await?,
        storage: storage(conn, pg).await?,
        sockets: state.realtime.hub.socket_count().await,
        nodes: super::nodes::alive(conn, state.node_id).await?,
        jobs: jobs(conn, pg).await?,
        mail: mail(conn, pg).await?,
        webhooks: webhooks(conn, pg, now).await?,
        search: search(conn, pg, state.search.name(), now).await?,
    })
}

/// The queues' figures alone (the queues page and the search status read only these).
pub struct QueueFigures {
    pub jobs: JobFigures,
    pub mail: MailFigures,
    pub search: SearchFigures,
}

pub async fn queue_figures(state: &AppState) -> AppResult<QueueFigures> {
    let (conn, pg) = (&state.db.conn, state.db.is_postgres());
    Ok(QueueFigures {
        jobs: jobs(conn, pg).await?,
        mail: mail(conn, pg).await?,
        search: search(conn, pg, state.search.name(), now_ms()).await?,
    })
}

async fn rows(conn: &impl ConnectionTrait, sql: Sql) -> AppResult<Vec<QueryResult>> {
    Ok(conn.query_all_raw(sql.statement()).await?)
}

fn int(row: &QueryResult, i: usize) -> AppResult<i64> {
    Ok(row.try_get_by_index::<Option<i64>>(i)?.unwrap_or(0))
}

/// `(label, count)` rows of a `GROUP BY` as a map.
async fn counts_by(conn: &impl ConnectionTrait, sql: Sql) -> AppResult<HashMap<String, i64>> {
    let mut out = HashMap::new();
    for row in rows(conn, sql).await? {
        out.insert(row.try_get_by_index::<String>(0)?, int(&row, 1)?);
    }
    Ok(out)
}

async fn database_size(conn: &impl ConnectionTrait, pg: bool) -> AppResult<i64> {
    let text = if pg {
        "SELECT pg_database_size(current_database())"
    } else {
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
    };
    let mut sql = Sql::new(pg);
    sql.push(text);
    Ok(rows(conn, sql).await?.first().map(|r| int(r, 0)).transpose()?.unwrap_or(0))
}

async fn people(conn: &impl ConnectionTrait, pg: bool, now: i64) -> AppResult<PeopleFigures> {
    let mut sql = Sql::new(pg);
    sql.push("SELECT COUNT(*), COUNT(deactivated_at)");
    for days in [1, 7, 30] {
        sql.push(", COUNT(CASE WHEN deactivated_at IS NULL AND last_active_at >= ")
            .bind(now - days * DAY_MS)
            .push(" THEN 1 END)");
    }
    sql.push(", (SELECT COUNT(*) FROM users WHERE is_bot) FROM users WHERE NOT is_bot");
    let found = rows(conn, sql).await?;
    let Some(row) = found.first() else { return Err(anyhow::anyhow!("no row from a COUNT").into()) };
    Ok(PeopleFigures {
        total: int(row, 0)?,
        deactivated: int(row, 1)?,
        active_day: int(row, 2)?,
        active_week: int(row, 3)?,
        active_month: int(row, 4)?,
        bots: int(row, 5)?,
    })
}

/// The smallest message id that can belong to a message made at `at` or later: ids are
/// UUIDv7 taken when the message is stored, whose leading 48 bits are milliseconds, so a
/// range on the primary key skips the older rows (a minute of slack for clock steps).
fn first_id_from(at: i64) -> Uuid {
    let ms = u128::try_from((at - 60_000).max(0)).unwrap_or(0);
    Uuid::from_u128(ms << 80)
}

async fn messages_per_day(conn: &impl ConnectionTrait, pg: bool, now: i64) -> AppResult<Vec<DayCount>> {
    let today = now.div_euclid(DAY_MS);
    let first_day = today - (DAYS - 1);
    let since = first_day * DAY_MS;
    let mut sql = Sql::new(pg);
    sql.push(&format!("SELECT created_at / {DAY_MS} AS day, COUNT(*) FROM messages WHERE id >= "))
        .bind(first_id_from(since))
        .push(" AND created_at >= ")
        .bind(since)
        .push(" GROUP BY 1");
    let mut per_day = HashMap::new();
    for row in rows(conn, sql).await? {
        per_day.insert(int(&row, 0)?, int(&row, 1)?);
    }
    Ok((first_day..=today)
        .map(|d| DayCount { day: day_label(d), messages: per_day.get(&d).copied().unwrap_or(0) })
        .collect())
}

fn day_label(day: i64) -> String {
    crate::clock::day_utc(day * DAY_MS)
}

async fn top_channels(conn: &impl ConnectionTrait, pg: bool, now: i64) -> AppResult<Vec<ChannelCount>> {
    let since = now - DAYS * DAY_MS;
    let mut sql = Sql::new(pg);
    sql.push(
        "SELECT c.id, w.name, c.name, c.kind, t.n FROM \
         (SELECT channel_id, COUNT(*) AS n FROM messages WHERE id >= ",
    )
    .bind(first_id_from(since))
    .push(" AND created_at >= ")
    .bind(since)
    .push(" GROUP BY channel_id ORDER BY n DESC LIMIT ")
    .bind(TOP_CHANNELS)
    .push(
        ") t JOIN channels c ON c.id = t.channel_id JOIN workspaces w ON w.id = c.workspace_id \
         ORDER BY t.n DESC, c.id",
    );
    rows(conn, sql)
        .await?
        .iter()
        .map(|r| {
            Ok(ChannelCount {
                channel_id: r.try_get_by_index(0)?,
                workspace: r.try_get_by_index(1)?,
                name: r.try_get_by_index(2)?,
                kind: r.try_get_by_index(3)?,
                messages: int(r, 4)?,
            })
        })
        .collect()
}

async fn storage(conn: &impl ConnectionTrait, pg: bool) -> AppResult<Vec<WorkspaceStorage>> {
    let mut sql = Sql::new(pg);
    sql.push("SELECT w.id, w.name, COUNT(f.id), CAST(COALESCE(SUM(f.size), 0) AS BIGINT) AS bytes FROM workspaces w ")
        .push("LEFT JOIN files f ON f.workspace_id = w.id AND f.deleted_at IS NULL AND f.state = ")
        .bind(crate::files::model::file::READY)
        .push(" GROUP BY w.id, w.name ORDER BY bytes DESC, w.name LIMIT ")
        .bind(STORAGE_ROWS);
    rows(conn, sql)
        .await?
        .iter()
        .map(|r| {
            Ok(WorkspaceStorage {
                workspace_id: r.try_get_by_index(0)?,
                name: r.try_get_by_index(1)?,
                files: int(r, 2)?,
                bytes: int(r, 3)?,
            })
        })
        .collect()
}

async fn jobs(conn: &impl ConnectionTrait, pg: bool) -> AppResult<JobFigures> {
    let mut sql = Sql::new(pg);
    sql.push("SELECT state, COUNT(*) FROM jobs GROUP BY state");
    let by_state = counts_by(conn, sql).await?;
    let n = |s: &str| by_state.get(s).copied().unwrap_or(0);
    use crate::jobs::queue::{FAILED, QUEUED, RUNNING};
    Ok(JobFigures { queued: n(QUEUED), running: n(RUNNING), failed: n(FAILED) })
}

async fn mail(conn: &impl ConnectionTrait, pg: bool) -> AppResult<MailFigures> {
    let mut sql = Sql::new(pg);
    sql.push("SELECT state, COUNT(*) FROM mails GROUP BY state");
    let by_state = counts_by(conn, sql).await?;
    let n = |s: &str| by_state.get(s).copied().unwrap_or(0);
    use crate::mail::model::{PARKED, PENDING, SENT};
    Ok(MailFigures { pending: n(PENDING), sent: n(SENT), parked: n(PARKED) })
}

async fn webhooks(conn: &impl ConnectionTrait, pg: bool, now: i64) -> AppResult<WebhookFigures> {
    let mut sql = Sql::new(pg);
    sql.push("SELECT state, COUNT(*) FROM webhook_deliveries WHERE created_at >= ")
        .bind(now - WEBHOOK_DAYS * DAY_MS)
        .push(" GROUP BY state");
    let by_state = counts_by(conn, sql).await?;
    let n = |s: &str| by_state.get(s).copied().unwrap_or(0);
    use crate::webhooks::outgoing::model::{DELIVERED, FAILED, PENDING};
    let (delivered, failed) = (n(DELIVERED), n(FAILED));
    let finished = delivered + failed;
    Ok(WebhookFigures {
        delivered,
        failed,
        pending: n(PENDING),
        success_rate: (finished > 0).then(|| delivered as f64 / finished as f64),
    })
}

async fn search(conn: &impl ConnectionTrait, pg: bool, backend: &'static str, now: i64) -> AppResult<SearchFigures> {
    let mut sql = Sql::new(pg);
    sql.push("SELECT COUNT(*), MIN(created_at) FROM jobs WHERE kind = ")
        .bind(crate::search::jobs::INDEX_MESSAGE)
        .push(" AND state IN ")
        .bind_list(&[crate::jobs::queue::QUEUED, crate::jobs::queue::RUNNING]);
    let found = rows(conn, sql).await?;
    let Some(row) = found.first() else { return Err(anyhow::anyhow!("no row from a COUNT").into()) };
    let oldest = row.try_get_by_index::<Option<i64>>(1)?;
    Ok(SearchFigures { backend, queued: int(row, 0)?, lag_s: oldest.map(|t| (now - t).max(0) / 1000) })
}
