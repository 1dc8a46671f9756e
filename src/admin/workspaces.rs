//! Every workspace and, for one, its channels (private ones and conversations included,
//! by kind and size, never by content) and members, as an instance administrator sees
//! them; and their rights over it (a workspace owner's, without being a member).
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QueryResult};
use serde::Serialize;
use uuid::Uuid;

use crate::access::{WorkspaceAccess, WorkspaceRole};
use crate::clock::{opt_rfc3339, rfc3339};
use crate::db::sql::Sql;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::workspaces::model::{member, workspace};

#[derive(Serialize, utoipa::ToSchema)]
pub struct WorkspaceRow {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub created_at: String,
    /// `password_and_sso` or `sso_only`.
    pub sign_in_policy: String,
    pub members_create_hooks: bool,
    /// Active members (bots included).
    pub member_count: i64,
    /// Public and private channels (conversations not counted).
    pub channel_count: i64,
    /// Bytes of the files it stores.
    pub stored_bytes: i64,
    /// Guests may be invited or made here.
    pub guests_allowed: bool,
    /// Its own file quota in bytes (0: none); absent: the server's.
    pub storage_quota_bytes: Option<i64>,
    /// When it was archived (read-only since); absent while in use.
    pub archived_at: Option<String>,
    /// Messages and their files older than this many days are deleted; absent: kept.
    pub retention_days: Option<i32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChannelRow {
    pub id: Uuid,
    /// Absent for direct and group conversations.
    pub name: Option<String>,
    /// `public`, `private`, `direct` or `group`.
    pub kind: String,
    pub members: i64,
    /// Messages posted (its last sequence number).
    pub messages: i64,
    pub archived: bool,
    pub last_message_at: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MemberRow {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: WorkspaceRole,
    pub joined_at: String,
    /// The account itself is deactivated.
    pub deactivated: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct WorkspaceDetail {
    #[serde(flatten)]
    pub workspace: WorkspaceRow,
    pub channels: Vec<ChannelRow>,
    pub members: Vec<MemberRow>,
}

fn int(row: &QueryResult, i: usize) -> AppResult<i64> {
    Ok(row.try_get_by_index::<Option<i64>>(i)?.unwrap_or(0))
}

/// Workspaces with their sizes, oldest first (`only`: just that one).
async fn rows(conn: &impl ConnectionTrait, pg: bool, only: Option<Uuid>) -> AppResult<Vec<WorkspaceRow>> {
    let mut sql = Sql::new(pg);
    sql.push(
        "SELECT w.id, w.name, w.slug, w.created_at, w.sign_in_policy, w.members_create_hooks, \
         w.guests_allowed, w.storage_quota_bytes, w.archived_at, w.retention_days, \
         (SELECT COUNT(*) FROM workspace_members m WHERE m.workspace_id = w.id AND m.deactivated_at IS NULL), \
         (SELECT COUNT(*) FROM channels c WHERE c.workspace_id = w.id AND c.kind IN ('public', 'private')), \
         (SELECT CAST(COALESCE(SUM(f.size), 0) AS BIGINT) FROM files f \
          WHERE f.workspace_id = w.id AND f.deleted_at IS NULL AND f.state = ",
    )
    .bind(crate::files::model::file::READY)
    .push(") FROM workspaces w");
    if let Some(id) = only {
        sql.push(" WHERE w.id = ").bind(id);
    }
    sql.push(" ORDER BY w.created_at, w.id");
    conn.query_all_raw(sql.statement())
        .await?
        .iter()
        .map(|r| {
            Ok(WorkspaceRow {
                id: r.try_get_by_index(0)?,
                name: r.try_get_by_index(1)?,
                slug: r.try_get_by_index(2)?,
                created_at: rfc3339(r.try_get_by_index(3)?),
                sign_in_policy: r.try_get_by_index(4)?,
                members_create_hooks: r.try_get_by_index(5)?,
                guests_allowed: r.try_get_by_index(6)?,
                storage_quota_bytes: r.try_get_by_index(7)?,
                archived_at: opt_rfc3339(r.try_get_by_index(8)?),
                retention_days: r.try_get_by_index(9)?,
                member_count: int(r, 10)?,
                channel_count: int(r, 11)?,
                stored_bytes: int(r, 12)?,
            })
        })
        .collect()
}

pub async fn list(db: &crate::db::Db) -> AppResult<Vec<WorkspaceRow>> {
    rows(&db.conn, db.is_postgres(), None).await
}

/// The workspaces `admin` administers (every one for an instance administrator).
pub async fn list_for(db: &crate::db::Db, admin: &super::scope::Admin) -> AppResult<Vec<WorkspaceRow>> {
    let mut all = list(db).await?;
    if let Some(mine) = admin.workspace_ids() {
        all.retain(|w| mine.contains(&w.id));
    }
    Ok(all)
}

pub async fn detail(state: &AppState, id: Uuid) -> AppResult<WorkspaceDetail> {
    let conn = &state.db.conn;
    let pg = state.db.is_postgres();
    let workspace = rows(conn, pg, Some(id)).await?.into_iter().next().ok_or(AppError::NotFound("workspace"))?;
    let mut sql = Sql::new(pg);
    sql.push(
        "SELECT c.id, c.name, c.kind, c.last_seq, c.archived_at, c.last_message_at, \
         (SELECT COUNT(*) FROM channel_members cm WHERE cm.channel_id = c.id) \
         FROM channels c WHERE c.workspace_id = ",
    )
    .bind(id)
    .push(" ORDER BY c.kind IN ('direct', 'group'), c.name, c.created_at");
    let channels = conn
        .query_all_raw(sql.statement())
        .await?
        .iter()
        .map(|r| {
            Ok(ChannelRow {
                id: r.try_get_by_index(0)?,
                name: r.try_get_by_index(1)?,
                kind: r.try_get_by_index(2)?,
                messages: int(r, 3)?,
                archived: r.try_get_by_index::<Option<i64>>(4)?.is_some(),
                last_message_at: opt_rfc3339(r.try_get_by_index(5)?),
                members: int(r, 6)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let memberships = member::Entity::find()
        .filter(member::Column::WorkspaceId.eq(id))
        .filter(member::Column::DeactivatedAt.is_null())
        .order_by_asc(member::Column::JoinedAt)
        .all(conn)
        .await?;
    let people = crate::accounts::service::by_ids(conn, memberships.iter().map(|m| m.user_id)).await?;
    let members = memberships
        .iter()
        .filter_map(|m| {
            let u = people.get(&m.user_id)?;
            Some(MemberRow {
                user_id: u.id,
                username: u.username.clone(),
                display_name: u.display_name.clone(),
                role: WorkspaceRole::parse(&m.role),
                joined_at: rfc3339(m.joined_at),
                deactivated: u.deactivated_at.is_some(),
            })
        })
        .collect();
    Ok(WorkspaceDetail { workspace, channels, members })
}

/// A workspace owner's rights over `id`, for an instance administrator.
pub async fn as_owner(state: &AppState, id: Uuid) -> AppResult<WorkspaceAccess> {
    let workspace =
        workspace::Entity::find_by_id(id).one(&state.db.conn).await?.ok_or(AppError::NotFound("workspace"))?;
    Ok(WorkspaceAccess { workspace, role: WorkspaceRole::Owner })
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceLimits {
    /// Guests may be invited or made there (those there stay).
    pub guests_allowed: bool,
    /// Its own file quota in bytes (0: none); null: the server's.
    pub storage_quota_bytes: Option<i64>,
}

/// Sets a workspace's guest access and file quota, audited.
pub async fn set_limits(state: &AppState, admin: Uuid, id: Uuid, limits: WorkspaceLimits) -> AppResult<()> {
    use sea_orm::{ActiveModelTrait, Set};
    if limits.storage_quota_bytes.is_some_and(|q| q < 0) {
        return Err(AppError::invalid("storage_quota_bytes", "0 or more bytes, or null for the server's"));
    }
    let tx = state.db.write().await?;
    let w = workspace::Entity::find_by_id(id).one(&*tx).await?.ok_or(AppError::NotFound("workspace"))?;
    let mut am: workspace::ActiveModel = w.into();
    am.guests_allowed = Set(limits.guests_allowed);
    am.storage_quota_bytes = Set(limits.storage_quota_bytes);
    am.update(&*tx).await?;
    let details = serde_json::json!({
        "guests_allowed": limits.guests_allowed, "storage_quota_bytes": limits.storage_quota_bytes,
    });
    let event = crate::audit::AuditEvent::new(Some(admin), "workspace.limits_set").workspace(id);
    crate::audit::record(&*tx, event.details(details)).await?;
    tx.commit().await
}

/// Renames a workspace, audited (its slug, and so its links, stay).
pub async fn rename(state: &AppState, admin: Uuid, id: Uuid, name: &str) -> AppResult<()> {
    use sea_orm::{ActiveModelTrait, Set};
    let name = crate::validate::display_text("name", name, state.settings.limits.name_chars)?;
    let tx = state.db.write().await?;
    let w = workspace::Entity::find_by_id(id).one(&*tx).await?.ok_or(AppError::NotFound("workspace"))?;
    let details = serde_json::json!({ "from": w.name, "to": name });
    let mut am: workspace::ActiveModel = w.into();
    am.name = Set(name);
    let renamed = am.update(&*tx).await?;
    tx.emit(crate::workspaces::service::updated_event(&renamed));
    let event = crate::audit::AuditEvent::new(Some(admin), "workspace.renamed").workspace(id);
    crate::audit::record(&*tx, event.details(details)).await?;
    tx.commit().await
}

/// Archives a workspace (read-only for everyone: nothing posted, edited, created or joined
/// until it is unarchived) or unarchives it; audited, and its open clients told at once.
pub async fn set_archived(state: &AppState, ws: &WorkspaceAccess, admin: Uuid, archived: bool) -> AppResult<()> {
    use sea_orm::{ActiveModelTrait, Set};
    if ws.role != WorkspaceRole::Owner {
        return Err(crate::access::not_allowed("only the workspace's owners may archive or unarchive it"));
    }
    let id = ws.workspace.id;
    let tx = state.db.write().await?;
    let w = workspace::Entity::find_by_id(id).one(&*tx).await?.ok_or(AppError::NotFound("workspace"))?;
    if w.archived_at.is_some() == archived {
        return Ok(());
    }
    let mut am: workspace::ActiveModel = w.into();
    am.archived_at = Set(archived.then(crate::clock::now_ms));
    let changed = am.update(&*tx).await?;
    tx.emit(crate::workspaces::service::updated_event(&changed));
    let action = if archived { "workspace.archived" } else { "workspace.unarchived" };
    crate::audit::record(&*tx, crate::audit::AuditEvent::new(Some(admin), action).workspace(id)).await?;
    tx.commit().await
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddPerson {
    pub user_id: Uuid,
    pub role: WorkspaceRole,
    /// Move: remove them from this workspace once they are in the new one.
    pub move_from: Option<Uuid>,
}

/// Adds an existing person to a workspace (they join its #general as a member), or moves
/// them there from another; audited.
pub async fn add_person(state: &AppState, admin: Uuid, id: Uuid, add: AddPerson) -> AppResult<()> {
    let ws = as_owner(state, id).await?;
    if matches!(add.role, WorkspaceRole::Bot) {
        return Err(AppError::invalid("role", "owner, admin, member or guest"));
    }
    if add.role == WorkspaceRole::Guest && !ws.workspace.guests_allowed {
        return Err(AppError::conflict("guests_not_allowed", "this workspace does not take guests"));
    }
    let person = crate::accounts::service::find_by_id(&state.db.conn, add.user_id).await?;
    if person.is_none_or(|u| u.is_bot || u.deactivated_at.is_some()) {
        return Err(AppError::NotFound("user"));
    }
    let tx = state.db.write().await?;
    crate::workspaces::service::add_member(&tx, id, add.user_id, add.role).await?;
    let details = serde_json::json!({ "role": add.role, "moved_from": add.move_from });
    let event = crate::audit::AuditEvent::new(Some(admin), "workspace.member_added").workspace(id);
    crate::audit::record(&*tx, event.target("user", add.user_id).details(details)).await?;
    tx.commit().await?;
    if let Some(from) = add.move_from.filter(|f| *f != id) {
        let source = as_owner(state, from).await?;
        crate::workspaces::service::remove_member(&state.db, &source, admin, add.user_id).await?;
    }
    Ok(())
}
