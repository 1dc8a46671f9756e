//! /admin: the overview, with its charts drawn as SVG.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;

use super::chart::{self, Chart};
use crate::admin::overview::{overview, Overview};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::page::html;

#[derive(Template)]
#[template(path = "admin/overview.html")]
struct OverviewPage {
    section: &'static str,
    o: Overview,
    per_day: Chart,
    storage: Chart,
    uptime: String,
    database_size: String,
    webhook_rate: String,
}

fn uptime(s: u64) -> String {
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

#[get("")]
pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    if !super::admin_of(&req)?.is_instance() {
        return Ok(crate::web::page::redirect("/admin/workspaces"));
    }
    let o = overview(&state).await?;
    let days: Vec<(String, i64)> = o.messages_per_day.iter().map(|d| (d.day.clone(), d.messages)).collect();
    let total: i64 = days.iter().map(|(_, n)| n).sum();
    let per_day = chart::columns(
        &days,
        format!("Messages per day over the last {} days: {} in all.", days.len(), chart::count(total)),
        chart::count,
    );
    let stored: Vec<(String, i64)> = o.storage.iter().map(|w| (w.name.clone(), w.bytes)).collect();
    let storage = chart::columns(
        &stored,
        format!("Files stored per workspace: {} in all.", chart::bytes(stored.iter().map(|(_, b)| b).sum())),
        chart::bytes,
    );
    let view = OverviewPage {
        section: "overview",
        uptime: uptime(o.uptime_s),
        database_size: chart::bytes(o.database.size_bytes),
        webhook_rate: o.webhooks.success_rate.map_or_else(|| "—".to_owned(), |r| format!("{:.1} %", r * 100.0)),
        o,
        per_day,
        storage,
    };
    Ok(html(&state, StatusCode::OK, view.render().map_err(anyhow::Error::from)?))
}
