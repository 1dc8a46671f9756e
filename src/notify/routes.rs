//! /api/v1/me/email-notifications: how often I am mailed about what I missed.
use actix_web::{get, put, web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::prefs::{Choice, Frequency};
use super::unsubscribe::set_choice;
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct EmailNotificationsView {
    pub frequency: Frequency,
    /// With `after_delay`: minutes a notification waits; null: the server's delay.
    pub delay_minutes: Option<i32>,
    /// The server's delay (`email.delay_minutes`).
    pub server_delay_minutes: f64,
    /// The choice in words.
    pub description: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailNotificationsChange {
    pub frequency: Frequency,
    /// 1 to 1440; only with `after_delay` (left out: the server's delay).
    pub delay_minutes: Option<i32>,
}

fn view(state: &AppState, choice: Choice) -> EmailNotificationsView {
    EmailNotificationsView {
        frequency: choice.frequency,
        delay_minutes: choice.delay_minutes,
        server_delay_minutes: state.settings.email.delay_minutes,
        description: choice.describe(&state.settings.email),
    }
}

/// My choice of e-mail notifications.
#[utoipa::path(get, path = "/api/v1/me/email-notifications", tag = "notifications",
    responses((status = 200, body = EmailNotificationsView), (status = 401, body = ErrorBody)))]
#[get("/me/email-notifications")]
pub async fn get_email_notifications(state: web::Data<AppState>, me: CurrentUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(view(&state, Choice::of(&me.user))))
}

/// Choose how often missed direct messages, mentions and thread replies are mailed.
#[utoipa::path(put, path = "/api/v1/me/email-notifications", tag = "notifications", request_body = EmailNotificationsChange,
    responses((status = 200, body = EmailNotificationsView), (status = 422, body = ErrorBody)))]
#[put("/me/email-notifications")]
pub async fn set_email_notifications(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<EmailNotificationsChange>,
) -> AppResult<HttpResponse> {
    let delay_minutes = if body.frequency == Frequency::AfterDelay { body.delay_minutes } else { None };
    let choice = Choice { frequency: body.frequency, delay_minutes }.validate()?;
    let tx = state.db.write().await?;
    set_choice(&*tx, me.id(), choice).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(view(&state, choice)))
}
