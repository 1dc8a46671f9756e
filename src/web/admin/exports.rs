//! /admin/exports: compliance exports — asked for here, made by a job with its progress
//! shown as it goes, downloadable by whoever asked for a day — and the search rebuild's
//! button on the queues page.
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::admin::export::ExportRequest;
use crate::admin::task_routes::{download_export, exports_of, start_export, start_rebuild};
use crate::admin::tasks::TaskView;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::notice::or_notice;
use crate::web::page::{html, redirect};

#[derive(Template)]
#[template(path = "admin/exports.html")]
struct ExportsPage {
    section: &'static str,
    /// An instance administrator (else a workspace's: their own exports, fewer sections).
    instance: bool,
    me: Uuid,
    exports: Vec<TaskView>,
    /// Something is still being made: the page reloads itself to show progress.
    busy: bool,
    scope: String,
    id: String,
}

#[derive(Deserialize, Default)]
pub struct Prefill {
    scope: Option<String>,
    id: Option<Uuid>,
}

#[get("/exports")]
pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    let admin = super::admin_of(&req)?;
    let shown = async {
        let prefill = web::Query::<Prefill>::from_query(req.query_string()).map(|q| q.into_inner()).unwrap_or_default();
        let exports = exports_of(&state, &admin).await?;
        let view = ExportsPage {
            section: "exports",
            instance: admin.is_instance(),
            me: admin.id(),
            busy: exports.iter().any(|t| t.state == "queued" || t.state == "running"),
            exports,
            scope: prefill.scope.unwrap_or_else(|| "workspace".into()),
            id: prefill.id.map(|i| i.to_string()).unwrap_or_default(),
        };
        Ok(html(&state, StatusCode::OK, view.render().map_err(anyhow::Error::from)?))
    };
    or_notice(&state, shown.await)
}

#[derive(Deserialize)]
pub struct ExportForm {
    scope: String,
    id: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
}

#[post("/exports")]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<ExportForm>,
) -> AppResult<HttpResponse> {
    super::form_action(state, &req, form.into_inner(), |state, admin, form: ExportForm| async move {
        let id = form
            .id
            .trim()
            .parse::<Uuid>()
            .map_err(|_| AppError::invalid("id", "the id of a workspace, channel or person"))?;
        let some = |s: String| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        let request = ExportRequest { scope: form.scope, id, since: some(form.since), until: some(form.until) };
        start_export(&state, &admin, request).await?;
        Ok(redirect("/admin/exports"))
    })
    .await
}

#[get("/exports/{task_id}/download")]
pub async fn download(state: web::Data<AppState>, req: HttpRequest, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let admin = super::admin_of(&req)?;
    or_notice(&state, download_export(&state, &req, admin.id(), path.into_inner()).await)
}

#[post("/search/rebuild")]
pub async fn rebuild(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<super::NoFields>,
) -> AppResult<HttpResponse> {
    super::instance_form_action(state, &req, form.into_inner(), |state, admin, _: super::NoFields| async move {
        start_rebuild(&state, admin.id()).await?;
        Ok(redirect("/admin/queues"))
    })
    .await
}
