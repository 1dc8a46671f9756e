//! /api/v1/admin/mail: what Parley has mailed, what waits, and what was parked after the
//! mail server refused it too often — with a retry (instance administrators only).
use actix_web::{delete, get, post, web, HttpResponse};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::{mail, PARKED, PENDING, SENT};
use super::outbox;
use crate::audit::{self, AuditEvent};
use crate::auth::current_user::InstanceAdmin;
use crate::clock::{opt_rfc3339, rfc3339};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;

const PAGE: u64 = 200;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MailQuery {
    /// `pending`, `sent` or `parked`; all when left out.
    pub state: Option<String>,
    /// Mails created before this one (paging, newest first).
    pub before: Option<Uuid>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MailView {
    pub id: Uuid,
    pub kind: String,
    pub user_id: Option<Uuid>,
    pub to: String,
    pub subject: String,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MailList {
    /// `file` (written to the outbox folder) or `smtp`.
    pub transport: &'static str,
    pub mails: Vec<MailView>,
}

fn view(m: mail::Model) -> MailView {
    MailView {
        id: m.id,
        kind: m.kind,
        user_id: m.user_id,
        to: m.to_address,
        subject: m.subject,
        state: m.state,
        attempts: m.attempts,
        last_error: m.last_error,
        created_at: rfc3339(m.created_at),
        sent_at: opt_rfc3339(m.sent_at),
    }
}

/// Mails, newest first (200 a page).
#[utoipa::path(get, path = "/api/v1/admin/mail", tag = "admin", params(MailQuery),
    responses((status = 200, body = MailList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/mail")]
pub async fn list_mail(
    state: web::Data<AppState>,
    _admin: InstanceAdmin,
    q: web::Query<MailQuery>,
) -> AppResult<HttpResponse> {
    let mut select = mail::Entity::find().order_by_desc(mail::Column::Id).limit(PAGE);
    if let Some(s) = &q.state {
        if ![PENDING, SENT, PARKED].contains(&s.as_str()) {
            return Err(AppError::invalid("state", "pending, sent or parked"));
        }
        select = select.filter(mail::Column::State.eq(s.as_str()));
    }
    if let Some(before) = q.before {
        select = select.filter(mail::Column::Id.lt(before));
    }
    let mails = select.all(&state.db.conn).await?.into_iter().map(view).collect();
    Ok(HttpResponse::Ok().json(MailList { transport: state.mailer.kind(), mails }))
}

/// Sends a parked mail again (its attempts starting over), or forgets it; recorded in the
/// audit log.
pub async fn settle_parked(state: &AppState, admin: Uuid, id: Uuid, retry: bool) -> AppResult<()> {
    let tx = state.db.write().await?;
    if mail::Entity::find_by_id(id).one(&*tx).await?.is_none() {
        return Err(AppError::NotFound("mail"));
    }
    let done = if retry { outbox::retry(&*tx, id).await? } else { outbox::discard_parked(&*tx, id).await? };
    if !done {
        return Err(AppError::conflict("mail_not_parked", "only a parked mail can be retried or discarded"));
    }
    let action = if retry { "mail.retried" } else { "mail.discarded" };
    audit::record(&*tx, AuditEvent::new(Some(admin), action).target("mail", id)).await?;
    tx.commit().await
}

/// Sends a parked mail again (its attempts start over).
#[utoipa::path(post, path = "/api/v1/admin/mail/{mail_id}/retry", tag = "admin", params(("mail_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/mail/{mail_id}/retry")]
pub async fn retry_mail(
    state: web::Data<AppState>,
    admin: InstanceAdmin,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    settle_parked(&state, admin.0.id(), path.into_inner(), true).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Forgets a parked mail.
#[utoipa::path(delete, path = "/api/v1/admin/mail/{mail_id}", tag = "admin", params(("mail_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[delete("/mail/{mail_id}")]
pub async fn discard_mail(
    state: web::Data<AppState>,
    admin: InstanceAdmin,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    settle_parked(&state, admin.0.id(), path.into_inner(), false).await?;
    Ok(HttpResponse::NoContent().finish())
}
