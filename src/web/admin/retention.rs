//! /admin/retention: how long each workspace and channel keeps messages, legal holds on
//! channels and people, and the runs that apply it.
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::admin::retention::{self, RetentionView};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::notice::or_notice;
use crate::web::page::{html, redirect};

const PATH: &str = "/admin/retention";

#[derive(Template)]
#[template(path = "admin/retention.html")]
struct RetentionPage {
    section: &'static str,
    r: RetentionView,
    busy: bool,
}

#[get("/retention")]
pub async fn page(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let shown = async {
        let r = retention::view(&state).await?;
        let busy = r.runs.iter().any(|t| t.state == "queued" || t.state == "running");
        let view = RetentionPage { section: "retention", r, busy };
        Ok(html(&state, StatusCode::OK, view.render().map_err(anyhow::Error::from)?))
    };
    or_notice(&state, shown.await)
}

/// A number of days typed in a form: empty means none.
pub fn days(text: &str) -> AppResult<Option<i32>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| AppError::invalid("retention_days", "a number of days, or nothing"))
}

#[derive(Deserialize)]
pub struct DaysForm {
    #[serde(default)]
    days: String,
    /// A checkbox: present when ticked.
    legal_hold: Option<String>,
}

#[post("/retention/workspaces/{workspace_id}")]
pub async fn workspace(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    form: web::Form<DaysForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    super::instance_form_action(state, &req, form.into_inner(), |state, admin, form: DaysForm| async move {
        retention::set_workspace(&state.db, Some(admin.id()), id, days(&form.days)?).await?;
        Ok(redirect(PATH))
    })
    .await
}

#[post("/retention/channels/{channel_id}")]
pub async fn channel(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    form: web::Form<DaysForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    super::instance_form_action(state, &req, form.into_inner(), |state, admin, form: DaysForm| async move {
        retention::set_channel(&state.db, Some(admin.id()), id, days(&form.days)?, form.legal_hold.is_some()).await?;
        Ok(redirect(PATH))
    })
    .await
}

#[derive(Deserialize)]
pub struct HoldForm {
    legal_hold: bool,
    /// `person` to go back to the person's page.
    #[serde(default)]
    back: String,
}

#[post("/retention/people/{user_id}")]
pub async fn person(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    form: web::Form<HoldForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    super::instance_form_action(state, &req, form.into_inner(), |state, admin, form: HoldForm| async move {
        retention::set_person_hold(&state.db, Some(admin.id()), id, form.legal_hold).await?;
        Ok(redirect(&if form.back == "person" { super::person::path(id) } else { PATH.to_owned() }))
    })
    .await
}

#[post("/retention/run")]
pub async fn run(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<super::NoFields>,
) -> AppResult<HttpResponse> {
    super::instance_form_action(state, &req, form.into_inner(), |state, admin, _: super::NoFields| async move {
        retention::start(&state.db, Some(admin.id())).await?;
        Ok(redirect(PATH))
    })
    .await
}
