//! Changes to a channel that its workspace hears of at once and the audit log keeps:
//! renaming (and topic, purpose), archiving, and making it public or private. The
//! channel routes and the admin pages both come through here; `access` says whether the
//! actor may (an instance administrator acts with a workspace owner's rights).
use serde_json::json;
use uuid::Uuid;

use super::conversations::shared_view;
use super::model::channel;
use super::service::{self, ChannelPatch};
use super::view::ChannelView;
use crate::access::{self, ChannelAccess, ChannelKind, Need, WorkspaceRole};
use crate::audit::{self, AuditEvent};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::realtime::event::{kind, NewEvent};

/// What an instance administrator may do to any channel: a workspace owner's rights,
/// without being a member.
pub async fn as_instance_admin(db: &Db, channel_id: Uuid) -> AppResult<ChannelAccess> {
    use sea_orm::EntityTrait;
    let channel = channel::Entity::find_by_id(channel_id).one(&db.conn).await?.ok_or(AppError::NotFound("channel"))?;
    let kind = ChannelKind::parse(&channel.kind);
    let workspace_archived = access::workspace_is_archived(&db.conn, channel.workspace_id).await?;
    Ok(ChannelAccess { channel, kind, role: WorkspaceRole::Owner, membership: None, workspace_archived })
}

/// Renames (managers) or sets the topic and purpose (members); answers the channel as
/// `viewer` sees it now.
pub async fn update(db: &Db, a: &ChannelAccess, viewer: Uuid, patch: ChannelPatch) -> AppResult<ChannelView> {
    let id = a.channel.id;
    let renamed = patch.name.is_some();
    let tx = db.write().await?;
    service::update(&*tx, a, patch).await?;
    let fresh = access::channel(&*tx, viewer, id, Need::Read).await.map(|a| a.channel);
    let updated = match fresh {
        Ok(c) => c,
        Err(_) => reload(&tx, id).await?,
    };
    let view = service::view_for(&*tx, &updated, viewer).await?;
    tx.emit(NewEvent::channel(kind::CHANNEL_UPDATED, updated.workspace_id, id, shared_view(&view)?));
    if renamed {
        let details = json!({"from": a.channel.name, "to": updated.name});
        audit::record(&*tx, channel_event(viewer, &updated, "channel.renamed").details(details)).await?;
    }
    tx.commit().await?;
    Ok(view)
}

async fn reload(tx: &crate::db::WriteTx, id: Uuid) -> AppResult<channel::Model> {
    use sea_orm::EntityTrait;
    channel::Entity::find_by_id(id).one(&**tx).await?.ok_or(AppError::NotFound("channel"))
}

fn channel_event<'a>(actor: Uuid, c: &channel::Model, action: &'a str) -> AuditEvent<'a> {
    AuditEvent::new(Some(actor), action).workspace(c.workspace_id).target("channel", c.id)
}

pub async fn set_archived(db: &Db, a: &ChannelAccess, actor: Uuid, archived: bool) -> AppResult<()> {
    let id = a.channel.id;
    let tx = db.write().await?;
    service::set_archived(&*tx, a, archived).await?;
    let (k, action) = if archived {
        (kind::CHANNEL_ARCHIVED, "channel.archived")
    } else {
        (kind::CHANNEL_UNARCHIVED, "channel.unarchived")
    };
    tx.emit(NewEvent::channel(k, a.channel.workspace_id, id, json!({"channel_id": id})));
    audit::record(&*tx, channel_event(actor, &a.channel, action)).await?;
    tx.commit().await
}

/// Makes a channel private (only its members see it, its history and its search
/// results from now on) or public (everyone in the workspace may find it and read its
/// whole history). Conversations stay what they are; #general stays public.
pub async fn set_private(db: &Db, a: &ChannelAccess, actor: Uuid, private: bool) -> AppResult<ChannelView> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    if a.kind.is_conversation() {
        return Err(AppError::conflict("conversation_fixed", "direct and group conversations keep their kind"));
    }
    if !a.can_manage() {
        return Err(access::not_allowed("only channel or workspace admins may change who sees a channel"));
    }
    if a.channel.name.as_deref() == Some("general") && private {
        return Err(AppError::conflict("general_channel", "#general stays public"));
    }
    let to = if private { ChannelKind::Private } else { ChannelKind::Public };
    let tx = db.write().await?;
    if a.kind != to {
        channel::Entity::update_many()
            .col_expr(channel::Column::Kind, to.as_str().into())
            .filter(channel::Column::Id.eq(a.channel.id))
            .exec(&*tx)
            .await?;
    }
    let updated = reload(&tx, a.channel.id).await?;
    let view = service::view_for(&*tx, &updated, actor).await?;
    if a.kind != to {
        tx.emit(NewEvent::channel(kind::CHANNEL_UPDATED, updated.workspace_id, updated.id, shared_view(&view)?));
        let details = json!({"from": a.kind.as_str(), "to": to.as_str()});
        audit::record(&*tx, channel_event(actor, &updated, "channel.visibility_changed").details(details)).await?;
    }
    tx.commit().await?;
    Ok(view)
}
