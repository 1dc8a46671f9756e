//! /admin/integrations: every webhook, slash command and bot with its owner, last use and
//! failures, turned off or on here; an outgoing hook's delivery log.
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::admin::integrations::{self, IntegrationRow};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::notice::or_notice;
use crate::web::page::{html, redirect};
use crate::webhooks::outgoing::log::{DeliveryView, LogQuery};

const PATH: &str = "/admin/integrations";
const DELIVERIES_SHOWN: u64 = 50;

#[derive(Template)]
#[template(path = "admin/integrations.html")]
struct ListPage {
    section: &'static str,
    rows: Vec<IntegrationRow>,
}

#[derive(Template)]
#[template(path = "admin/deliveries.html")]
struct DeliveriesPage {
    section: &'static str,
    hook: IntegrationRow,
    deliveries: Vec<DeliveryView>,
}

#[get("/integrations")]
pub async fn list(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let shown = async {
        let view = ListPage { section: "integrations", rows: integrations::list(&state).await? };
        Ok(html(&state, StatusCode::OK, view.render().map_err(anyhow::Error::from)?))
    };
    or_notice(&state, shown.await)
}

#[get("/integrations/outgoing_hook/{hook_id}")]
pub async fn deliveries(state: web::Data<AppState>, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let shown = async {
        let hook = integrations::outgoing_hook(&state, id).await?;
        let q = LogQuery { limit: Some(DELIVERIES_SHOWN), before: None, state: None };
        let deliveries = integrations::deliveries(&state.db.conn, id, &q).await?;
        let view = DeliveriesPage { section: "integrations", hook, deliveries };
        Ok(html(&state, StatusCode::OK, view.render().map_err(anyhow::Error::from)?))
    };
    or_notice(&state, shown.await)
}

#[derive(Deserialize)]
pub struct SwitchForm {
    enabled: bool,
}

#[post("/integrations/{kind}/{id}")]
pub async fn switch(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, Uuid)>,
    form: web::Form<SwitchForm>,
) -> AppResult<HttpResponse> {
    let (kind, id) = path.into_inner();
    super::instance_form_action(state, &req, form.into_inner(), |state, admin, form: SwitchForm| async move {
        integrations::set_enabled(&state, admin.id(), &kind, id, form.enabled).await?;
        Ok(redirect(PATH))
    })
    .await
}
