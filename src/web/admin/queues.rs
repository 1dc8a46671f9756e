//! /admin/queues: mail that was given up on and jobs that failed for good, with retry
//! and discard; and how far behind the search index is.
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use uuid::Uuid;

use crate::admin::overview::{self, QueueFigures};
use crate::error::{AppError, AppResult};
use crate::jobs::routes::{list, settle_failed, JobQuery, JobView};
use crate::mail::model::{mail, PARKED};
use crate::mail::routes::settle_parked;
use crate::state::AppState;
use crate::web::notice::or_notice;
use crate::web::page::{html, redirect};

const PATH: &str = "/admin/queues";
const MAILS_SHOWN: u64 = 200;

struct ParkedMail {
    id: Uuid,
    to: String,
    subject: String,
    attempts: i32,
    last_error: String,
    created_at: String,
}

#[derive(Template)]
#[template(path = "admin/queues.html")]
struct QueuesPage {
    section: &'static str,
    o: QueueFigures,
    transport: &'static str,
    mails: Vec<ParkedMail>,
    jobs: Vec<JobView>,
    rebuilds: Vec<crate::admin::tasks::TaskView>,
    /// A rebuild is waiting or running: the page reloads itself to show its progress.
    busy: bool,
}

#[get("/queues")]
pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    super::instance_admin_of(&req)?;
    let shown = async {
        let mails = mail::Entity::find()
            .filter(mail::Column::State.eq(PARKED))
            .order_by_desc(mail::Column::Id)
            .limit(MAILS_SHOWN)
            .all(&state.db.conn)
            .await?
            .into_iter()
            .map(|m| ParkedMail {
                id: m.id,
                to: m.to_address,
                subject: m.subject,
                attempts: m.attempts,
                last_error: m.last_error.unwrap_or_default(),
                created_at: crate::clock::rfc3339(m.created_at),
            })
            .collect();
        let rebuilds = crate::admin::tasks::recent(&state.db.conn, crate::admin::tasks::SEARCH_REBUILD, 5).await?;
        let view = QueuesPage {
            section: "queues",
            busy: rebuilds.iter().any(|t| t.state == "queued" || t.state == "running"),
            rebuilds,
            o: overview::queue_figures(&state).await?,
            transport: state.mailer.kind(),
            mails,
            jobs: list(&state, &JobQuery::default()).await?,
        };
        Ok(html(&state, StatusCode::OK, view.render().map_err(anyhow::Error::from)?))
    };
    or_notice(&state, shown.await)
}

#[derive(Deserialize)]
pub struct SettleForm {
    /// `retry` or `discard`.
    act: String,
}

impl SettleForm {
    fn retry(&self) -> AppResult<bool> {
        match self.act.as_str() {
            "retry" => Ok(true),
            "discard" => Ok(false),
            _ => Err(AppError::invalid("act", "retry or discard")),
        }
    }
}

/// Retries or discards a parked mail (`/queues/mail/{id}`) or a failed job (`/queues/jobs/{id}`).
#[post("/queues/{what}/{id}")]
pub async fn settle(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, Uuid)>,
    form: web::Form<SettleForm>,
) -> AppResult<HttpResponse> {
    let (what, id) = path.into_inner();
    if !["mail", "jobs"].contains(&what.as_str()) {
        return Err(AppError::NotFound("route"));
    }
    super::instance_form_action(state, &req, form.into_inner(), |state, admin, form: SettleForm| async move {
        if what == "mail" {
            settle_parked(&state, admin.id(), id, form.retry()?).await?;
        } else {
            settle_failed(&state, admin.id(), id, form.retry()?).await?;
        }
        Ok(redirect(PATH))
    })
    .await
}
