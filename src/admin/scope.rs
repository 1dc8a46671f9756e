//! Who the admin gate let in, and over what: an instance administrator over everything;
//! an owner or admin of workspaces over those workspaces only — their page and API, their
//! channels, their compliance exports and their part of the audit log. Anything of a
//! workspace they do not administer answers the 404 of one that does not exist.
use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::access::{ChannelAccess, WorkspaceAccess, WorkspaceRole};
use crate::accounts::model::user;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::workspaces::model::{member, workspace};

#[derive(Clone, Debug, PartialEq)]
pub enum Reach {
    Instance,
    /// The workspaces they own or administer, with their role in each.
    Workspaces(Vec<(Uuid, WorkspaceRole)>),
}

/// The person the gate admitted (taken as an extractor by the handlers of both scopes).
#[derive(Clone)]
pub struct Admin {
    pub user: user::Model,
    pub reach: Reach,
}

impl FromRequest for Admin {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(req.extensions().get::<Admin>().cloned().ok_or(AppError::NotFound("route")))
    }
}

/// What `user` may reach in the admin scopes; None: nothing (they get the 404).
pub async fn reach_of(db: &Db, user: &user::Model) -> AppResult<Option<Reach>> {
    if user.is_admin {
        return Ok(Some(Reach::Instance));
    }
    if user.is_bot {
        return Ok(None);
    }
    let rows = member::Entity::find()
        .filter(member::Column::UserId.eq(user.id))
        .filter(member::Column::DeactivatedAt.is_null())
        .filter(member::Column::Role.is_in(["admin", "owner"]))
        .all(&db.conn)
        .await?;
    let administered: Vec<_> = rows.into_iter().map(|m| (m.workspace_id, WorkspaceRole::parse(&m.role))).collect();
    Ok((!administered.is_empty()).then_some(Reach::Workspaces(administered)))
}

impl Admin {
    pub fn id(&self) -> Uuid {
        self.user.id
    }

    pub fn is_instance(&self) -> bool {
        self.reach == Reach::Instance
    }

    /// For what only an instance administrator does.
    pub fn instance(&self) -> AppResult<()> {
        if self.is_instance() {
            Ok(())
        } else {
            Err(AppError::NotFound("route"))
        }
    }

    /// The workspaces a list shows them: None for all.
    pub fn workspace_ids(&self) -> Option<Vec<Uuid>> {
        match &self.reach {
            Reach::Instance => None,
            Reach::Workspaces(w) => Some(w.iter().map(|(id, _)| *id).collect()),
        }
    }

    fn role_in(&self, workspace_id: Uuid) -> Option<WorkspaceRole> {
        match &self.reach {
            Reach::Instance => Some(WorkspaceRole::Owner),
            Reach::Workspaces(w) => w.iter().find(|(id, _)| *id == workspace_id).map(|(_, role)| *role),
        }
    }

    /// A workspace they administer, with the rights they hold there (an instance
    /// administrator: an owner's); any other answers as a missing one.
    pub async fn workspace(&self, db: &Db, id: Uuid) -> AppResult<WorkspaceAccess> {
        let role = self.role_in(id).ok_or(AppError::NotFound("workspace"))?;
        let workspace =
            workspace::Entity::find_by_id(id).one(&db.conn).await?.ok_or(AppError::NotFound("workspace"))?;
        Ok(WorkspaceAccess { workspace, role })
    }

    /// A channel of a workspace they administer, whether or not they are in it.
    pub async fn channel(&self, db: &Db, id: Uuid) -> AppResult<ChannelAccess> {
        let mut a = crate::channels::manage::as_instance_admin(db, id).await?;
        a.role = self.role_in(a.channel.workspace_id).ok_or(AppError::NotFound("channel"))?;
        Ok(a)
    }
}

impl Admin {
    /// For a workspace's admin, before any extractor reads the request: the workspace,
    /// channel or task the path names must be theirs, or it answers as a missing one.
    pub async fn check_path(&self, db: &Db, rest: &str) -> AppResult<()> {
        if self.is_instance() {
            return Ok(());
        }
        let segments: Vec<&str> = rest.trim_matches('/').split('/').collect();
        let id = |s: &str, what| s.parse::<Uuid>().map_err(|_| AppError::NotFound(what));
        match segments.as_slice() {
            ["workspaces", w, ..] => drop(self.workspace(db, id(w, "workspace")?).await?),
            ["channels", c, ..] => drop(self.channel(db, id(c, "channel")?).await?),
            ["tasks", t] => self.own_task(db, id(t, "task")?, "task").await?,
            ["exports", t, "download"] => self.own_task(db, id(t, "export")?, "export").await?,
            _ => {}
        }
        Ok(())
    }

    async fn own_task(&self, db: &Db, id: Uuid, what: &'static str) -> AppResult<()> {
        let task = super::tasks::model::Entity::find_by_id(id).one(&db.conn).await?;
        match task {
            Some(t) if t.requested_by == Some(self.id()) => Ok(()),
            _ => Err(AppError::NotFound(what)),
        }
    }
}

/// Whether the rest of an admin path (after `/admin` or `/api/v1/admin`) is one that a
/// workspace's owners and admins may use, for their own workspaces. The handlers check
/// the workspace itself; this keeps everything else hidden before any extractor runs.
pub fn workspace_scoped(method: &actix_web::http::Method, rest: &str) -> bool {
    let read = matches!(*method, actix_web::http::Method::GET | actix_web::http::Method::HEAD);
    let segments: Vec<&str> = rest.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        [""] | ["workspaces"] | ["audit"] | ["audit", "export"] | ["tasks", _] => read,
        ["workspaces", _] => read,
        ["workspaces", _, "settings" | "name" | "invites" | "retention" | "state"] => true,
        ["workspaces", _, "members", _] => true,
        ["channels", _] | ["channels", _, "state" | "retention"] => true,
        ["exports"] => true,
        ["exports", _, "download"] => read,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::Method;

    use super::workspace_scoped;

    #[test]
    fn only_the_workspace_parts_are_open_to_workspace_admins() {
        let open = [
            (Method::GET, "/workspaces"),
            (Method::GET, "/workspaces/1"),
            (Method::PUT, "/workspaces/1/name"),
            (Method::DELETE, "/workspaces/1/members/2"),
            (Method::PATCH, "/channels/3"),
            (Method::POST, "/exports"),
            (Method::GET, "/audit/export"),
            (Method::GET, ""),
        ];
        for (m, p) in open {
            assert!(workspace_scoped(&m, p), "{m} {p}");
        }
        let closed = [
            (Method::POST, "/workspaces"),
            (Method::POST, "/workspaces/1/members"),
            (Method::PUT, "/workspaces/1/limits"),
            (Method::GET, "/users"),
            (Method::GET, "/overview"),
            (Method::POST, "/search/rebuild"),
            (Method::GET, "/system"),
            (Method::POST, "/retention/run"),
            (Method::GET, "/retention"),
            (Method::PUT, "/users/1/legal-hold"),
            (Method::POST, "/tasks/1"),
            (Method::GET, "/workspaces/1/nothing/else"),
        ];
        for (m, p) in closed {
            assert!(!workspace_scoped(&m, p), "{m} {p}");
        }
    }
}
