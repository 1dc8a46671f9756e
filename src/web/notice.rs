//! The HTML answer a page route gives for a client error (an expired invitation, a
//! link opened from another site), so a person following a link never sees JSON.
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use super::page::html;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage<'a> {
    title: &'a str,
    message: String,
}

fn title_for(e: &AppError) -> &'static str {
    match e {
        AppError::NotFound(_) | AppError::Conflict { .. } => "This link does not work",
        AppError::Forbidden { .. } => "Not allowed",
        AppError::RateLimited { .. } => "Too many attempts",
        _ => "That did not work",
    }
}

fn message_for(e: &AppError) -> String {
    match e {
        AppError::NotFound("setup_token") => {
            "This server is already set up, or the setup link is not the one it printed. Sign in instead.".into()
        }
        AppError::NotFound(what) => {
            format!(
                "The {} was not found. It may have expired or been revoked; ask for a new link.",
                what.replace('_', " ")
            )
        }
        AppError::Forbidden { code: "csrf_origin_mismatch", .. } => {
            "The form was sent from another site. Reload this page and try again.".into()
        }
        AppError::RateLimited { retry_after_s } => format!("Wait {retry_after_s} seconds and try again."),
        other => {
            let text = other.to_string();
            let mut chars = text.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
        }
    }
}

/// Client errors become a page with the same status; server errors stay errors (logged
/// and answered by the one AppError path).
pub fn or_notice(state: &AppState, result: AppResult<HttpResponse>) -> AppResult<HttpResponse> {
    match result {
        Err(e) if e.status_code().is_client_error() => {
            let page = NoticePage { title: title_for(&e), message: message_for(&e) };
            let body = page.render().map_err(anyhow::Error::from)?;
            Ok(html(state, e.status_code(), body))
        }
        other => other,
    }
}
