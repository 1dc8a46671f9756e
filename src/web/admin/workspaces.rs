//! /admin/workspaces: every workspace; one workspace's channels (rename, archive, public
//! or private) and members (role, removal), its sign-in settings and retention — for an
//! instance administrator, or for the workspace's own owners and admins.
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::chart::bytes;
use crate::access::{WorkspaceAccess, WorkspaceRole};
use crate::admin::scope::Admin;
use crate::admin::workspace_routes::{set_channel_state, ChannelState};
use crate::admin::workspaces::{self, WorkspaceDetail, WorkspaceRow};
use crate::channels::manage;
use crate::channels::service::ChannelPatch;
use crate::error::{AppError, AppResult};
use crate::sso::policy::SignInPolicy;
use crate::state::AppState;
use crate::web::notice::or_notice;
use crate::web::page::{html, redirect};
use crate::workspaces::settings_routes::{change, WorkspaceSettings};

#[derive(Template)]
#[template(path = "admin/workspaces.html")]
struct ListPage {
    section: &'static str,
    /// An instance administrator (else a workspace's owner or admin: theirs only).
    instance: bool,
    rows: Vec<(WorkspaceRow, String)>,
}

#[derive(Template)]
#[template(path = "admin/workspace.html")]
struct DetailPage {
    section: &'static str,
    /// An instance administrator: limits, adding and moving people are theirs.
    instance: bool,
    /// Owners (and instance administrators) archive a workspace.
    owner: bool,
    /// The other workspaces, someone may be moved from: (id, name).
    others: Vec<(Uuid, String)>,
    /// The quota in megabytes as the form shows it (empty: the server's).
    quota_mb: String,
    /// An invitation link just made, shown once.
    invite_link: Option<String>,
    w: WorkspaceDetail,
    stored: String,
    sso_configured: bool,
    roles: [&'static str; 4],
}

fn path(id: Uuid) -> String {
    format!("/admin/workspaces/{id}")
}

#[get("/workspaces")]
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    let admin = super::admin_of(&req)?;
    let shown = async {
        let rows = workspaces::list_for(&state.db, &admin).await?.into_iter().map(|w| (bytes(w.stored_bytes), w));
        let view = ListPage {
            section: "workspaces",
            instance: admin.is_instance(),
            rows: rows.map(|(b, w)| (w, b)).collect(),
        };
        Ok(html(&state, StatusCode::OK, view.render().map_err(anyhow::Error::from)?))
    };
    or_notice(&state, shown.await)
}

async fn detail_page(
    state: &AppState,
    admin: &Admin,
    ws: &WorkspaceAccess,
    invite_link: Option<String>,
) -> AppResult<HttpResponse> {
    let w = workspaces::detail(state, ws.workspace.id).await?;
    let others = workspaces::list_for(&state.db, admin)
        .await?
        .into_iter()
        .filter(|o| o.id != w.workspace.id)
        .map(|o| (o.id, o.name))
        .collect();
    let view = DetailPage {
        section: "workspaces",
        instance: admin.is_instance(),
        owner: ws.role == WorkspaceRole::Owner,
        others,
        quota_mb: w.workspace.storage_quota_bytes.map(|b| (b / 1_000_000).to_string()).unwrap_or_default(),
        invite_link,
        stored: bytes(w.workspace.stored_bytes),
        w,
        sso_configured: !state.sso.is_empty(),
        roles: ["guest", "member", "admin", "owner"],
    };
    Ok(html(state, StatusCode::OK, view.render().map_err(anyhow::Error::from)?))
}

#[get("/workspaces/{workspace_id}")]
pub async fn detail(state: web::Data<AppState>, req: HttpRequest, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let admin = super::admin_of(&req)?;
    let shown = async {
        let ws = admin.workspace(&state.db, path.into_inner()).await?;
        detail_page(&state, &admin, &ws, None).await
    };
    or_notice(&state, shown.await)
}

#[derive(Deserialize)]
pub struct CreateForm {
    name: String,
}

#[post("/workspaces")]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<CreateForm>,
) -> AppResult<HttpResponse> {
    super::instance_form_action(state, &req, form.into_inner(), |state, admin, form: CreateForm| async move {
        let body = crate::workspaces::routes::NewWorkspace { name: form.name, slug: None };
        let id = crate::admin::workspace_routes::create_workspace(&state, admin.id(), body).await?;
        Ok(redirect(&self::path(id)))
    })
    .await
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    role: WorkspaceRole,
}

/// Answers with the workspace's page showing the link (once; mailed too with an address).
#[post("/workspaces/{workspace_id}/invites")]
pub async fn invite(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    form: web::Form<InviteForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    super::form_action(state, &req, form.into_inner(), |state, admin, form: InviteForm| async move {
        let ws = admin.workspace(&state.db, id).await?;
        let email = Some(form.email.trim().to_owned()).filter(|e| !e.is_empty());
        let body = crate::workspaces::routes::NewInvite {
            email,
            role: Some(form.role),
            max_uses: None,
            expires_in_hours: None,
            send_email: None,
        };
        let created = crate::workspaces::routes::invite(&state, &ws, &admin.user, body).await?;
        detail_page(&state, &admin, &ws, Some(created.url)).await
    })
    .await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    sign_in_policy: String,
    /// A checkbox: present when ticked.
    members_create_hooks: Option<String>,
}

#[post("/workspaces/{workspace_id}/settings")]
pub async fn settings(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    form: web::Form<SettingsForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    super::form_action(state, &req, form.into_inner(), |state, admin, form: SettingsForm| async move {
        let policy = match form.sign_in_policy.as_str() {
            "password_and_sso" => SignInPolicy::PasswordAndSso,
            "sso_only" => SignInPolicy::SsoOnly,
            _ => return Err(AppError::invalid("sign_in_policy", "password_and_sso or sso_only")),
        };
        let ws = admin.workspace(&state.db, id).await?;
        let wanted = WorkspaceSettings {
            members_create_hooks: Some(form.members_create_hooks.is_some()),
            sign_in_policy: Some(policy),
        };
        change(&state, admin.id(), &ws.workspace, wanted).await?;
        Ok(redirect(&self::path(id)))
    })
    .await
}

#[derive(Deserialize)]
pub struct ChannelForm {
    /// `rename` (with `name`), `archive`, `unarchive`, `private` or `public`.
    act: String,
    #[serde(default)]
    name: String,
}

#[post("/channels/{channel_id}")]
pub async fn channel(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    form: web::Form<ChannelForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    super::form_action(state, &req, form.into_inner(), |state, admin, form: ChannelForm| async move {
        let a = admin.channel(&state.db, id).await?;
        let wanted = |archived, private| ChannelState { archived, private };
        match form.act.as_str() {
            "rename" => {
                let patch = ChannelPatch { name: Some(form.name), topic: None, purpose: None };
                manage::update(&state.db, &a, admin.id(), patch).await?;
            }
            "archive" => set_channel_state(&state, &admin, id, wanted(Some(true), None)).await?,
            "unarchive" => set_channel_state(&state, &admin, id, wanted(Some(false), None)).await?,
            "private" => set_channel_state(&state, &admin, id, wanted(None, Some(true))).await?,
            "public" => set_channel_state(&state, &admin, id, wanted(None, Some(false))).await?,
            _ => return Err(AppError::invalid("act", "rename, archive, unarchive, private or public")),
        }
        Ok(redirect(&self::path(a.channel.workspace_id)))
    })
    .await
}

#[derive(Deserialize)]
pub struct MemberForm {
    /// A role, or `remove`.
    act: String,
}

#[post("/workspaces/{workspace_id}/members/{user_id}")]
pub async fn member(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    form: web::Form<MemberForm>,
) -> AppResult<HttpResponse> {
    let (ws_id, user_id) = path.into_inner();
    super::form_action(state, &req, form.into_inner(), |state, admin, form: MemberForm| async move {
        let ws = admin.workspace(&state.db, ws_id).await?;
        let service = crate::workspaces::service::remove_member;
        match form.act.as_str() {
            "remove" => service(&state.db, &ws, admin.id(), user_id).await?,
            role @ ("guest" | "member" | "admin" | "owner") => {
                let role = WorkspaceRole::parse(role);
                crate::workspaces::service::change_role(&state.db, &ws, admin.id(), user_id, role).await?;
            }
            _ => return Err(AppError::invalid("act", "a role (guest, member, admin, owner) or remove")),
        }
        Ok(redirect(&self::path(ws_id)))
    })
    .await
}

#[derive(Deserialize)]
pub struct LimitsForm {
    /// A checkbox: present when ticked.
    guests_allowed: Option<String>,
    /// Megabytes (10⁶ bytes); empty: the server's quota; 0: none.
    #[serde(default)]
    quota_mb: String,
}

#[post("/workspaces/{workspace_id}/limits")]
pub async fn limits(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    form: web::Form<LimitsForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    super::instance_form_action(state, &req, form.into_inner(), |state, admin, form: LimitsForm| async move {
        let quota = form.quota_mb.trim();
        let storage_quota_bytes = if quota.is_empty() {
            None
        } else {
            let mb: i64 =
                quota.parse().map_err(|_| AppError::invalid("quota_mb", "a number of megabytes, or nothing"))?;
            Some(mb.saturating_mul(1_000_000))
        };
        let limits = crate::admin::workspaces::WorkspaceLimits {
            guests_allowed: form.guests_allowed.is_some(),
            storage_quota_bytes,
        };
        workspaces::set_limits(&state, admin.id(), id, limits).await?;
        Ok(redirect(&self::path(id)))
    })
    .await
}

#[derive(Deserialize)]
pub struct RenameForm {
    name: String,
}

#[post("/workspaces/{workspace_id}/name")]
pub async fn rename(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    form: web::Form<RenameForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    super::form_action(state, &req, form.into_inner(), |state, admin, form: RenameForm| async move {
        let ws = admin.workspace(&state.db, id).await?;
        workspaces::rename(&state, admin.id(), ws.workspace.id, &form.name).await?;
        Ok(redirect(&self::path(id)))
    })
    .await
}

#[derive(Deserialize)]
pub struct StateForm {
    /// `archive` or `unarchive`.
    act: String,
}

#[post("/workspaces/{workspace_id}/state")]
pub async fn set_state(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    form: web::Form<StateForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    super::form_action(state, &req, form.into_inner(), |state, admin, form: StateForm| async move {
        let archived = match form.act.as_str() {
            "archive" => true,
            "unarchive" => false,
            _ => return Err(AppError::invalid("act", "archive or unarchive")),
        };
        let ws = admin.workspace(&state.db, id).await?;
        workspaces::set_archived(&state, &ws, admin.id(), archived).await?;
        Ok(redirect(&self::path(id)))
    })
    .await
}

#[derive(Deserialize)]
pub struct AddForm {
    username: String,
    role: WorkspaceRole,
    /// A workspace to remove them from, or empty.
    #[serde(default)]
    move_from: String,
}

#[post("/workspaces/{workspace_id}/members")]
pub async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    form: web::Form<AddForm>,
) -> AppResult<HttpResponse> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let id = path.into_inner();
    super::instance_form_action(state, &req, form.into_inner(), |state, admin, form: AddForm| async move {
        let username = form.username.trim().trim_start_matches('@');
        let person = crate::accounts::model::user::Entity::find()
            .filter(crate::accounts::model::user::Column::Username.eq(username))
            .one(&state.db.conn)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let move_from = form.move_from.parse::<Uuid>().ok();
        let add = crate::admin::workspaces::AddPerson { user_id: person.id, role: form.role, move_from };
        workspaces::add_person(&state, admin.id(), id, add).await?;
        Ok(redirect(&self::path(id)))
    })
    .await
}

#[derive(Deserialize)]
pub struct RetentionForm {
    /// Days; empty: kept forever.
    #[serde(default)]
    days: String,
}

#[post("/workspaces/{workspace_id}/retention")]
pub async fn retention(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    form: web::Form<RetentionForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    super::form_action(state, &req, form.into_inner(), |state, admin, form: RetentionForm| async move {
        let ws = admin.workspace(&state.db, id).await?;
        let days = super::retention::days(&form.days)?;
        crate::admin::retention::set_workspace(&state.db, Some(admin.id()), ws.workspace.id, days).await?;
        Ok(redirect(&self::path(id)))
    })
    .await
}
