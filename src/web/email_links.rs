//! Where the links in a mail lead, without a sign-in: /email/unsubscribe (opened, it
//! asks; POSTed — by the page's button or a mail client's RFC 8058 one-click — it turns
//! notification mails off and offers an undo), /email/resubscribe (the undo), and
//! /verify-email (opened, it asks; POSTed, the account's address becomes the new one).
//! Opening a link changes nothing: mail scanners open links too.
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::notice::or_notice;
use crate::accounts::email_change;
use crate::audit::{self, AuditEvent};
use crate::error::{AppError, AppResult};
use crate::notify::prefs::{Choice, Frequency};
use crate::notify::unsubscribe::{person, set_choice, undo_token, RESUBSCRIBE, UNSUBSCRIBE};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "email_landing.html")]
struct LandingPage {
    title: &'static str,
    message: String,
    action: Option<String>,
    button: &'static str,
    /// The form repeats RFC 8058's one-click field (unsubscribe pages).
    one_click: bool,
}

#[derive(Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    t: String,
}

fn page(state: &AppState, p: LandingPage) -> AppResult<HttpResponse> {
    let body = p.render().map_err(anyhow::Error::from)?;
    Ok(super::page::html(state, StatusCode::OK, body))
}

fn query_value(token: &str) -> String {
    url::form_urlencoded::byte_serialize(token.as_bytes()).collect()
}

#[get("/email/unsubscribe")]
pub async fn unsubscribe_page(state: web::Data<AppState>, q: web::Query<LinkQuery>) -> AppResult<HttpResponse> {
    let shown = async {
        let _ = person(&state, UNSUBSCRIBE, &q.t).await?;
        page(
            &state,
            LandingPage {
                title: "Turn off notification mails?",
                message:
                    "Your Parley account will no longer get mails about unread direct messages, mentions and threads."
                        .into(),
                action: Some(format!("/email/unsubscribe?t={}", query_value(&q.t))),
                button: "Turn them off",
                one_click: true,
            },
        )
    };
    or_notice(&state, shown.await)
}

#[post("/email/unsubscribe")]
pub async fn unsubscribe_now(state: web::Data<AppState>, q: web::Query<LinkQuery>) -> AppResult<HttpResponse> {
    let done = async {
        let (u, _) = person(&state, UNSUBSCRIBE, &q.t).await?;
        let previous = Choice::of(&u);
        let tx = state.db.write().await?;
        set_choice(&*tx, u.id, Choice { frequency: Frequency::Never, delay_minutes: None }).await?;
        audit::record(&*tx, AuditEvent::new(Some(u.id), "email.unsubscribed").target("user", u.id)).await?;
        tx.commit().await?;
        let undo = if previous.frequency == Frequency::Never {
            None
        } else {
            let token = undo_token(&state, u.id, previous);
            Some(format!("/email/resubscribe?t={}", query_value(&token)))
        };
        page(
            &state,
            LandingPage {
                title: "Notification mails are off",
                message:
                    "Your Parley account gets no more mails about unread messages. You still see everything in Parley."
                        .into(),
                action: undo,
                button: "Undo: turn them back on",
                one_click: false,
            },
        )
    };
    or_notice(&state, done.await)
}

#[post("/email/resubscribe")]
pub async fn resubscribe(state: web::Data<AppState>, q: web::Query<LinkQuery>) -> AppResult<HttpResponse> {
    let done = async {
        let (u, extra) = person(&state, RESUBSCRIBE, &q.t).await?;
        let choice = Choice::decode(&extra).ok_or_else(|| {
            AppError::bad_request("link_invalid", "this link is not valid; use the newest one you were sent")
        })?;
        let tx = state.db.write().await?;
        set_choice(&*tx, u.id, choice).await?;
        audit::record(&*tx, AuditEvent::new(Some(u.id), "email.resubscribed").target("user", u.id)).await?;
        tx.commit().await?;
        page(
            &state,
            LandingPage {
                title: "Notification mails are back on",
                message: format!("Your Parley account is mailed {}.", choice.describe(&state.settings.email)),
                action: None,
                button: "",
                one_click: false,
            },
        )
    };
    or_notice(&state, done.await)
}

#[get("/verify-email")]
pub async fn verify_email_page(state: web::Data<AppState>, q: web::Query<LinkQuery>) -> AppResult<HttpResponse> {
    let shown = async {
        let address = email_change::pending_address(&state, &q.t).await?;
        page(
            &state,
            LandingPage {
                title: "Confirm your new address",
                message: format!("Your Parley account will use {address} from now on."),
                action: Some(format!("/verify-email?t={}", query_value(&q.t))),
                button: "Confirm this address",
                one_click: false,
            },
        )
    };
    or_notice(&state, shown.await)
}

#[post("/verify-email")]
pub async fn verify_email(state: web::Data<AppState>, q: web::Query<LinkQuery>) -> AppResult<HttpResponse> {
    let done = async {
        let address = email_change::confirm(&state, &q.t).await?;
        page(
            &state,
            LandingPage {
                title: "Your address is changed",
                message: format!("Sign in with {address} from now on. Mails from Parley go there."),
                action: None,
                button: "",
                one_click: false,
            },
        )
    };
    or_notice(&state, done.await)
}
