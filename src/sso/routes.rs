//! SSO in the JSON API: the sign-in options, a person's linked identities, and the
//! providers' status for instance admins (never a secret).
use actix_web::http::header;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::failure::{FailureKind, FlowError};
use super::model::identity as identity_row;
use super::provider::ProviderStatus;
use super::{attempt, flow, identity};
use crate::audit::{self, AuditEvent};
use crate::auth::client_ip::client_ip;
use crate::auth::current_user::AuthMethod;
use crate::auth::{CurrentUser, InstanceAdmin};
use crate::clock::rfc3339;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct SignInOption {
    pub id: String,
    pub name: String,
    /// Open this in the browser to sign in (`?next=/path` to land somewhere).
    pub start_url: String,
}

/// The identity providers one can sign in with.
#[utoipa::path(get, path = "/api/v1/auth/sso/providers", tag = "auth",
    responses((status = 200, body = [SignInOption])))]
#[get("/auth/sso/providers")]
pub async fn providers(state: web::Data<AppState>) -> HttpResponse {
    let list: Vec<SignInOption> = state
        .sso
        .all()
        .iter()
        .map(|p| SignInOption {
            id: p.settings.id.clone(),
            name: p.settings.name.clone(),
            start_url: format!("{}/sso/{}/start", state.settings.site_base(), p.settings.id),
        })
        .collect();
    HttpResponse::Ok().json(list)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct IdentityView {
    pub id: Uuid,
    pub provider_id: String,
    /// The provider's display name; absent if it was removed from the configuration.
    pub provider_name: Option<String>,
    pub email: Option<String>,
    pub linked_at: String,
    pub last_login_at: String,
}

/// My identities at identity providers, oldest first.
#[utoipa::path(get, path = "/api/v1/me/sso-identities", tag = "auth",
    responses((status = 200, body = [IdentityView])))]
#[get("/me/sso-identities")]
pub async fn my_identities(state: web::Data<AppState>, me: CurrentUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(identities_of(&state, me.id()).await?))
}

/// A person's identities at identity providers, oldest first.
pub async fn identities_of(state: &AppState, user_id: Uuid) -> AppResult<Vec<IdentityView>> {
    let rows = identity::list(&state.db.conn, user_id).await?;
    Ok(rows
        .into_iter()
        .map(|r| IdentityView {
            provider_name: state.sso.get(&r.provider_id).map(|p| p.settings.name.clone()),
            id: r.id,
            provider_id: r.provider_id,
            email: r.email,
            linked_at: rfc3339(r.created_at),
            last_login_at: rfc3339(r.last_login_at),
        })
        .collect())
}

/// Unlink one of my identities; not the last way I can sign in.
#[utoipa::path(delete, path = "/api/v1/me/sso-identities/{identity_id}", tag = "auth",
    params(("identity_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "last_sign_in_method")))]
#[delete("/me/sso-identities/{identity_id}")]
pub async fn unlink(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let tx = state.db.write().await?;
    // Two unlinks at once must not both see the other identity still there: on
    // PostgreSQL they queue on the person's row (SQLite's writer already serialises).
    if state.db.is_postgres() {
        crate::accounts::model::user::Entity::find_by_id(me.id()).lock_exclusive().one(&*tx).await?;
    }
    let row = identity_row::Entity::find_by_id(id)
        .one(&*tx)
        .await?
        .filter(|r| r.user_id == me.id())
        .ok_or(AppError::NotFound("sso_identity"))?;
    let others = identity_row::Entity::find()
        .filter(identity_row::Column::UserId.eq(me.id()))
        .filter(identity_row::Column::Id.ne(id))
        .count(&*tx)
        .await?;
    if others == 0 && me.user.password_hash.is_none() {
        return Err(AppError::conflict(
            "last_sign_in_method",
            "this is your only way to sign in; set a password or link another provider first",
        ));
    }
    identity_row::Entity::delete_by_id(id).exec(&*tx).await?;
    let ev = AuditEvent::new(Some(me.id()), "sso.identity_unlinked").target("user", me.id());
    audit::record(&*tx, ev.details(serde_json::json!({"provider": row.provider_id}))).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    pub provider_id: String,
    /// Where to land afterwards (a local path); Settings when absent.
    pub next: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LinkStart {
    /// Open this in the same browser: the provider's sign-in, then back to Parley,
    /// which links the account the provider vouches for to mine.
    pub redirect_to: String,
}

/// Start linking an account at an identity provider to mine. Only from a signed-in
/// browser (a cookie session, which also proves the request came from Parley's own
/// page): an API token could otherwise turn itself into a way to sign in.
#[utoipa::path(post, path = "/api/v1/me/sso-identities", tag = "auth", request_body = LinkRequest,
    responses((status = 200, body = LinkStart), (status = 403, body = ErrorBody, description = "session_required"),
              (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
              (status = 503, body = ErrorBody, description = "the provider could not be reached")))]
#[post("/me/sso-identities")]
pub async fn start_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: CurrentUser,
    body: web::Json<LinkRequest>,
) -> AppResult<HttpResponse> {
    if !matches!(me.via, AuthMethod::Session(_)) {
        return Err(AppError::forbidden("session_required", "linking a provider needs a signed-in browser"));
    }
    let body = body.into_inner();
    let p = state.sso.get(&body.provider_id).cloned().ok_or(AppError::NotFound("sso_provider"))?;
    let next = crate::web::login::local_path(&state, body.next);
    let ip = client_ip(&req, &state.settings.server.trusted_proxies);
    let existing = req.cookie(attempt::cookie_name(&state)).map(|c| c.value().to_owned());
    match flow::start(&state, &p, ip, next, Some(me.id()), existing).await {
        Ok(started) => Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .cookie(attempt::attempt_cookie(&state, started.browser_secret))
            .json(LinkStart { redirect_to: started.redirect_to })),
        Err(FlowError::Refused(f)) if f.kind == FailureKind::Throttled => {
            Err(AppError::RateLimited { retry_after_s: 60 })
        }
        Err(FlowError::Refused(_)) => Err(AppError::Unavailable("identity provider")),
        Err(FlowError::Server(e)) => Err(e),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AdminProviderView {
    #[serde(flatten)]
    pub status: ProviderStatus,
    /// People linked through this provider.
    pub linked_identities: u64,
}

/// The configured identity providers: settings (no secrets), last discovery, last
/// error and sign-in counts.
#[utoipa::path(get, path = "/api/v1/admin/sso", tag = "admin",
    responses((status = 200, body = [AdminProviderView]), (status = 404, body = ErrorBody)))]
#[get("/sso")]
pub async fn admin_status(state: web::Data<AppState>, _admin: InstanceAdmin) -> AppResult<HttpResponse> {
    let mut out = Vec::new();
    for p in state.sso.all() {
        let linked = identity_row::Entity::find()
            .filter(identity_row::Column::Issuer.eq(p.issuer()))
            .count(&state.db.conn)
            .await?;
        out.push(AdminProviderView { status: p.status(), linked_identities: linked });
    }
    Ok(HttpResponse::Ok().json(out))
}
