//! /admin/people: search and filter everyone with an account; deactivate and reactivate.
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::accounts::model::user;
use crate::admin::people::{list, PeopleQuery, PAGE};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::notice::or_notice;
use crate::web::page::{html, redirect};

struct PersonRow {
    id: Uuid,
    display_name: String,
    username: String,
    email: String,
    role: &'static str,
    active: bool,
    is_me: bool,
    last_active: String,
    joined: String,
}

#[derive(Template)]
#[template(path = "admin/people.html")]
struct PeoplePage {
    section: &'static str,
    q: String,
    role: String,
    status: String,
    sso: String,
    /// The identity providers configured: (id, name).
    providers: Vec<(String, String)>,
    rows: Vec<PersonRow>,
    /// Where the next page starts, when this one is full.
    next_offset: Option<u64>,
    /// This page's query string (forms return to it).
    back: String,
}

fn when(ms: Option<i64>) -> String {
    ms.map_or_else(|| "never".to_owned(), crate::clock::human_utc)
}

fn row(u: &user::Model, me: Uuid) -> PersonRow {
    PersonRow {
        id: u.id,
        display_name: u.display_name.clone(),
        username: u.username.clone(),
        email: u.email.clone(),
        role: if u.is_bot {
            "bot"
        } else if u.is_admin {
            "admin"
        } else {
            "member"
        },
        active: u.deactivated_at.is_none(),
        is_me: u.id == me,
        last_active: when(u.last_active_at),
        joined: when(Some(u.created_at)),
    }
}

#[get("/people")]
pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    let admin = super::instance_admin_of(&req)?;
    or_notice(&state, people_page(&state, &req, admin.id()).await)
}

async fn people_page(state: &AppState, req: &HttpRequest, me: Uuid) -> AppResult<HttpResponse> {
    let query = web::Query::<PeopleQuery>::from_query(req.query_string())
        .map_err(|e| AppError::bad_request("invalid_query", e.to_string()))?
        .into_inner();
    let found = list(&state.db.conn, &query).await?;
    let limit = query.limit.unwrap_or(PAGE);
    let full = found.len() as u64 >= limit;
    let view = PeoplePage {
        section: "people",
        q: query.q.clone().unwrap_or_default(),
        role: query.role.clone().unwrap_or_default(),
        status: query.status.clone().unwrap_or_default(),
        sso: query.sso.clone().unwrap_or_default(),
        providers: state.sso.all().iter().map(|p| (p.settings.id.clone(), p.settings.name.clone())).collect(),
        rows: found.iter().map(|u| row(u, me)).collect(),
        next_offset: full.then(|| query.offset.unwrap_or(0) + limit),
        back: req.query_string().to_owned(),
    };
    Ok(html(state, StatusCode::OK, view.render().map_err(anyhow::Error::from)?))
}

#[derive(Deserialize)]
pub struct SwitchForm {
    /// `true` to reactivate, `false` to deactivate.
    active: bool,
    /// The list's query string to go back to, or `person` for the person's own page.
    #[serde(default)]
    back: String,
}

#[post("/people/{user_id}/active")]
pub async fn switch_active(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    form: web::Form<SwitchForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    super::instance_form_action(state, &req, form.into_inner(), |state, admin, form: SwitchForm| async move {
        crate::accounts::activation::by_admin(&state, admin.id(), id, form.active).await?;
        Ok(redirect(&if form.back == "person" { super::person::path(id) } else { back_to(&form.back) }))
    })
    .await
}

/// /admin/people with the list's own query string (only its own characters are kept, so
/// the redirect cannot be steered elsewhere).
fn back_to(query: &str) -> String {
    let clean: String =
        query.chars().filter(|c| c.is_ascii_alphanumeric() || "=&%+-_.".contains(*c)).take(500).collect();
    if clean.is_empty() {
        "/admin/people".to_owned()
    } else {
        format!("/admin/people?{clean}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn going_back_stays_on_the_people_page() {
        assert_eq!(super::back_to(""), "/admin/people");
        assert_eq!(super::back_to("q=bo%20b&role=admin"), "/admin/people?q=bo%20b&role=admin");
        assert_eq!(super::back_to("x=//evil.example/\t\r\n"), "/admin/people?x=evil.example");
    }
}
