//! /api/v1/admin/jobs: background jobs that wait, run or failed for good, with retry
//! and discard for the failed ones (instance administrators only).
use actix_web::{delete, get, post, web, HttpResponse};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::job;
use super::queue::{self, FAILED, QUEUED, RUNNING};
use crate::audit::{self, AuditEvent};
use crate::auth::InstanceAdmin;
use crate::clock::{opt_rfc3339, rfc3339};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;

const PAGE: u64 = 200;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// `queued`, `running` or `failed` (the default).
    pub state: Option<String>,
    /// Jobs created before this one (paging, newest first).
    pub before: Option<Uuid>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub id: Uuid,
    pub kind: String,
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub created_at: String,
    pub run_at: String,
    pub locked_until: Option<String>,
}

impl From<job::Model> for JobView {
    fn from(j: job::Model) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            state: j.state,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
            created_at: rfc3339(j.created_at),
            run_at: rfc3339(j.run_at),
            locked_until: opt_rfc3339(j.locked_until),
        }
    }
}

/// Jobs in one state, newest first (200 a page); the payloads are not shown.
pub async fn list(state: &AppState, q: &JobQuery) -> AppResult<Vec<JobView>> {
    let wanted = q.state.as_deref().filter(|s| !s.is_empty()).unwrap_or(FAILED);
    if ![QUEUED, RUNNING, FAILED].contains(&wanted) {
        return Err(AppError::invalid("state", "queued, running or failed"));
    }
    let mut select =
        job::Entity::find().filter(job::Column::State.eq(wanted)).order_by_desc(job::Column::Id).limit(PAGE);
    if let Some(before) = q.before {
        select = select.filter(job::Column::Id.lt(before));
    }
    Ok(select.all(&state.db.conn).await?.into_iter().map(JobView::from).collect())
}

/// Background jobs in one state.
#[utoipa::path(get, path = "/api/v1/admin/jobs", tag = "admin", params(JobQuery),
    responses((status = 200, body = [JobView]), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/jobs")]
pub async fn list_jobs(
    state: web::Data<AppState>,
    _admin: InstanceAdmin,
    q: web::Query<JobQuery>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(list(&state, &q).await?))
}

/// Retry (`retry: true`) or discard a failed job, recorded in the audit log.
pub async fn settle_failed(state: &AppState, admin: Uuid, id: Uuid, retry: bool) -> AppResult<()> {
    let tx = state.db.write().await?;
    let Some(found) = job::Entity::find_by_id(id).one(&*tx).await? else { return Err(AppError::NotFound("job")) };
    let done = if retry { queue::retry_failed(&*tx, id).await? } else { queue::discard_failed(&*tx, id).await? };
    if !done {
        return Err(AppError::conflict("job_not_failed", "only a failed job can be retried or discarded"));
    }
    let action = if retry { "job.retried" } else { "job.discarded" };
    let details = serde_json::json!({ "kind": found.kind });
    audit::record(&*tx, AuditEvent::new(Some(admin), action).target("job", id).details(details)).await?;
    tx.commit().await
}

/// Run a failed job again, its attempts starting over.
#[utoipa::path(post, path = "/api/v1/admin/jobs/{job_id}/retry", tag = "admin", params(("job_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/jobs/{job_id}/retry")]
pub async fn retry_job(
    state: web::Data<AppState>,
    admin: InstanceAdmin,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    settle_failed(&state, admin.0.id(), path.into_inner(), true).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Forget a failed job.
#[utoipa::path(delete, path = "/api/v1/admin/jobs/{job_id}", tag = "admin", params(("job_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[delete("/jobs/{job_id}")]
pub async fn discard_job(
    state: web::Data<AppState>,
    admin: InstanceAdmin,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    settle_failed(&state, admin.0.id(), path.into_inner(), false).await?;
    Ok(HttpResponse::NoContent().finish())
}
