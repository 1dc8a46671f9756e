//! First-run setup: while no account exists, a one-time link (printed at start-up)
//! lets the first person create the administrator account and the first workspace.
use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::routes::signed_in;
use super::secret_token;
use crate::accounts::model::user;
use crate::accounts::service as accounts;
use crate::accounts::view::MeView;
use crate::audit::{self, AuditEvent};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;
use crate::workspaces::service as workspaces;

/// Creates the setup token if the instance has no users yet; returns the link.
pub async fn prepare(state: &AppState) -> AppResult<Option<String>> {
    if accounts::count(&state.db.conn).await? > 0 {
        return Ok(None);
    }
    let token = secret_token::generate("setup_");
    let link = format!("{}/setup?token={token}", state.settings.server.site_url.trim_end_matches('/'));
    if let Ok(mut slot) = state.setup_token.lock() {
        *slot = Some(token);
    }
    Ok(Some(link))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    /// The token from the link printed at start-up.
    pub token: String,
    pub workspace_name: String,
    pub display_name: String,
    pub email: String,
    pub username: Option<String>,
    pub password: String,
}

pub fn token_matches(state: &AppState, token: &str) -> bool {
    state
        .setup_token
        .lock()
        .ok()
        .and_then(|slot| slot.clone())
        .is_some_and(|t| secret_token::hashes_match(&secret_token::hash(&t), &secret_token::hash(token)))
}

/// Takes the token out of its slot if `token` is it, so that concurrent attempts
/// cannot both pass the "no account yet" check (PostgreSQL would let them).
fn claim_token(state: &AppState, token: &str) -> Option<String> {
    let mut slot = state.setup_token.lock().ok()?;
    let matches =
        slot.as_ref().is_some_and(|t| secret_token::hashes_match(&secret_token::hash(t), &secret_token::hash(token)));
    if matches {
        slot.take()
    } else {
        None
    }
}

pub async fn complete(state: &AppState, body: SetupRequest) -> AppResult<user::Model> {
    let claimed = claim_token(state, &body.token).ok_or(AppError::NotFound("setup_token"))?;
    let result = create_admin(state, body).await;
    if let Err(e) = &result {
        // A typo must not burn the link; only a completed setup does.
        if e.code() != "setup_done" {
            if let Ok(mut slot) = state.setup_token.lock() {
                slot.get_or_insert(claimed);
            }
        }
    }
    result
}

async fn create_admin(state: &AppState, body: SetupRequest) -> AppResult<user::Model> {
    let name_max = state.settings.limits.name_chars;
    let prepared =
        accounts::prepare_signup(body.email, body.username, body.display_name, body.password, true, name_max).await?;
    let tx = state.db.write().await?;
    if accounts::count(&*tx).await? > 0 {
        return Err(AppError::conflict("setup_done", "setup has already been completed"));
    }
    let admin = accounts::insert(&*tx, prepared).await?;
    let ws = workspaces::create(&tx, admin.id, &body.workspace_name, None, state.settings.limits.name_chars).await?;
    audit::record(&*tx, AuditEvent::new(Some(admin.id), "instance.setup").workspace(ws.id).target("user", admin.id))
        .await?;
    tx.commit().await?;
    Ok(admin)
}

/// Complete first-run setup: creates the admin account and first workspace, signs in.
#[utoipa::path(post, path = "/api/v1/setup", tag = "auth", request_body = SetupRequest,
    responses((status = 201, body = MeView), (status = 404, body = ErrorBody, description = "setup_token_not_found"),
              (status = 409, body = ErrorBody, description = "setup_done")))]
#[post("/setup")]
pub async fn setup_api(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<SetupRequest>,
) -> AppResult<HttpResponse> {
    let admin = complete(&state, body.into_inner()).await?;
    signed_in(&state, &req, &admin, StatusCode::CREATED).await
}
