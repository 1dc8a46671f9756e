//! The people list an instance administrator searches and filters.
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use crate::accounts::model::user;
use crate::accounts::view::MeView;
use crate::clock::opt_rfc3339;
use crate::error::{AppError, AppResult};

/// Rows a page holds unless asked for fewer.
pub const PAGE: u64 = 200;
const MAX_PAGE: u64 = 1000;

#[derive(Deserialize, Default, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// Part of a name, username or e-mail address (any case).
    pub q: Option<String>,
    /// `admin`, `member` (neither admin nor bot) or `bot`.
    pub role: Option<String>,
    /// `active` or `deactivated`.
    pub status: Option<String>,
    /// `linked` (signs in through an identity provider), `none`, or a provider's id.
    pub sso: Option<String>,
    /// At most this many (200 unless set; 1,000 at most).
    pub limit: Option<u64>,
    /// How many to skip (up to 10,000,000).
    pub offset: Option<u64>,
}

const MAX_OFFSET: u64 = 10_000_000;

/// A person as an administrator sees them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonAdminView {
    #[serde(flatten)]
    pub person: MeView,
    /// When they last signed in or used a session or token (to the minute).
    pub last_active_at: Option<String>,
    pub deactivated_at: Option<String>,
}

impl From<&user::Model> for PersonAdminView {
    fn from(u: &user::Model) -> Self {
        Self {
            person: MeView::from(u),
            last_active_at: opt_rfc3339(u.last_active_at),
            deactivated_at: opt_rfc3339(u.deactivated_at),
        }
    }
}

fn contains_any_case(column: user::Column, needle: &str) -> sea_orm::sea_query::SimpleExpr {
    let escaped = needle.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    Expr::expr(Func::lower(Expr::col(column)))
        .like(sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

/// The people matching `query`, oldest account first.
pub async fn list(conn: &impl ConnectionTrait, query: &PeopleQuery) -> AppResult<Vec<user::Model>> {
    let mut cond = Condition::all();
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        cond = cond.add(
            Condition::any()
                .add(contains_any_case(user::Column::Username, q))
                .add(contains_any_case(user::Column::DisplayName, q))
                .add(contains_any_case(user::Column::Email, q)),
        );
    }
    match query.role.as_deref().filter(|r| !r.is_empty()) {
        None => {}
        Some("admin") => cond = cond.add(user::Column::IsAdmin.eq(true)),
        Some("member") => cond = cond.add(user::Column::IsAdmin.eq(false)).add(user::Column::IsBot.eq(false)),
        Some("bot") => cond = cond.add(user::Column::IsBot.eq(true)),
        Some(_) => return Err(AppError::invalid("role", "admin, member or bot")),
    }
    match query.status.as_deref().filter(|s| !s.is_empty()) {
        None => {}
        Some("active") => cond = cond.add(user::Column::DeactivatedAt.is_null()),
        Some("deactivated") => cond = cond.add(user::Column::DeactivatedAt.is_not_null()),
        Some(_) => return Err(AppError::invalid("status", "active or deactivated")),
    }
    if let Some(sso) = query.sso.as_deref().filter(|s| !s.is_empty()) {
        use crate::sso::model::identity;
        let mut linked =
            sea_orm::sea_query::Query::select().column(identity::Column::UserId).from(identity::Entity).to_owned();
        if sso != "linked" && sso != "none" {
            linked.and_where(identity::Column::ProviderId.eq(sso));
        }
        cond = cond.add(if sso == "none" {
            user::Column::Id.not_in_subquery(linked)
        } else {
            user::Column::Id.in_subquery(linked)
        });
    }
    let limit = query.limit.unwrap_or(PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(AppError::invalid("limit", format!("from 1 to {MAX_PAGE}")));
    }
    // The databases take a signed 64-bit offset; a larger one must not reach them.
    let offset = query.offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(AppError::invalid("offset", format!("from 0 to {MAX_OFFSET}")));
    }
    Ok(user::Entity::find()
        .filter(cond)
        .order_by_asc(user::Column::CreatedAt)
        .order_by_asc(user::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(conn)
        .await?)
}
