//! Account rules: creation, profile changes, passwords, deactivation.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Set,
};
use serde::Deserialize;
use uuid::Uuid;

use super::model::user;
use crate::auth::{api_tokens, password, sessions};
use crate::clock::now_ms;
use crate::db::is_unique_violation;
use crate::error::{AppError, AppResult};
use crate::validate;

pub struct NewUser {
    pub email: String,
    pub username: Option<String>,
    pub display_name: String,
    /// None for accounts that sign in only through SSO.
    pub password: Option<String>,
    pub is_admin: bool,
}

pub const PREFERENCES_MAX_BYTES: usize = 16 * 1024;

/// Validates and hashes outside any transaction (hashing is slow).
pub struct PreparedUser {
    email: String,
    username: String,
    display_name: String,
    password_hash: Option<String>,
    is_admin: bool,
    is_bot: bool,
    avatar_url: Option<String>,
    email_confirmed: bool,
}

/// Validates and hashes a password sign-up (the setup form, an invitation, open sign-up).
pub async fn prepare_signup(
    email: String,
    username: Option<String>,
    display_name: String,
    password: String,
    is_admin: bool,
    name_max: usize,
) -> AppResult<PreparedUser> {
    prepare(NewUser { email, username, display_name, password: Some(password), is_admin }, name_max).await
}

impl PreparedUser {
    /// A bot or hook identity: no password, an address that can never receive mail
    /// (`.invalid`, RFC 2606), a username of its own.
    pub fn bot(id_hint: Uuid, username: String, display_name: String, avatar_url: Option<String>) -> Self {
        Self {
            email: format!("bot-{}@bots.invalid", id_hint.simple()),
            username,
            display_name,
            password_hash: None,
            is_admin: false,
            is_bot: true,
            avatar_url,
            email_confirmed: false,
        }
    }

    pub fn has_email(&self, email: &str) -> bool {
        self.email == email
    }

    /// The holder proved they receive mail at the address (see `email_confirmed_at`).
    pub fn email_confirmed(mut self) -> Self {
        self.email_confirmed = true;
        self
    }

    /// Sets an already computed password hash (the load-test seeder hashes one password
    /// for all its synthetic people instead of running argon2 once per person).
    pub fn with_password_hash(mut self, hash: String) -> Self {
        self.password_hash = Some(hash);
        self
    }
}

pub async fn prepare(new: NewUser, name_max: usize) -> AppResult<PreparedUser> {
    let email = validate::email(&new.email)?;
    let display_name = validate::display_text("display_name", &new.display_name, name_max)?;
    let username = match new.username.as_deref() {
        Some(u) if !u.trim().is_empty() => validate::username(u)?,
        _ => username_from_email(&email),
    };
    let password_hash = match new.password {
        Some(p) => {
            password::validate(&p, &[&email, &username, &display_name])?;
            Some(password::hash(p).await?)
        }
        None => None,
    };
    Ok(PreparedUser {
        email,
        username,
        display_name,
        password_hash,
        is_admin: new.is_admin,
        is_bot: false,
        avatar_url: None,
        email_confirmed: false,
    })
}

fn username_from_email(email: &str) -> String {
    let local = email.split('@').next().unwrap_or("user");
    let cleaned: String = local
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
        .take(validate::USERNAME_MAX)
        .collect();
    if cleaned.is_empty() {
        "user".into()
    } else {
        cleaned
    }
}

pub async fn insert(conn: &impl ConnectionTrait, p: PreparedUser) -> AppResult<user::Model> {
    if find_by_email(conn, &p.email).await?.is_some() {
        return Err(AppError::conflict("already_exists", "an account with this e-mail already exists"));
    }
    let mut username = p.username.clone();
    let mut n = 1;
    while user::Entity::find().filter(user::Column::Username.eq(username.clone())).count(conn).await? > 0 {
        n += 1;
        let base: String = p.username.chars().take(validate::USERNAME_MAX - 4).collect();
        username = format!("{base}{n}");
    }
    let now = now_ms();
    let model = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(p.email),
        username: Set(username),
        display_name: Set(p.display_name),
        password_hash: Set(p.password_hash),
        is_admin: Set(p.is_admin),
        status_text: Set(None),
        status_emoji: Set(None),
        status_expires_at: Set(None),
        preferences: Set("{}".into()),
        deactivated_at: Set(None),
        dnd: Set(false),
        away: Set(false),
        email_frequency: Set("after_delay".into()),
        email_delay_minutes: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        is_bot: Set(p.is_bot),
        avatar_url: Set(p.avatar_url),
        email_confirmed_at: Set(p.email_confirmed.then_some(now)),
        auth_version: Set(0),
        last_active_at: Set(None),
        legal_hold: Set(false),
    };
    model.insert(conn).await.map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("already_exists", "that e-mail or username is taken")
        } else {
            e.into()
        }
    })
}

pub async fn find_by_email(conn: &impl ConnectionTrait, email: &str) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find().filter(user::Column::Email.eq(email.trim().to_lowercase())).one(conn).await?)
}

pub async fn find_by_id(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(conn).await?)
}

/// These accounts by id, in one statement (missing ones are simply absent).
pub async fn by_ids(
    conn: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<std::collections::HashMap<Uuid, user::Model>> {
    let found = user::Entity::find().filter(user::Column::Id.is_in(ids)).all(conn).await?;
    Ok(found.into_iter().map(|u| (u.id, u)).collect())
}

pub async fn count(conn: &impl ConnectionTrait) -> AppResult<u64> {
    Ok(user::Entity::find().count(conn).await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    pub text: Option<String>,
    pub emoji: Option<String>,
    /// Unix milliseconds after which the status clears itself.
    pub expires_at_ms: Option<i64>,
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    pub display_name: Option<String>,
    pub username: Option<String>,
    /// `null` clears the status.
    #[serde(default, deserialize_with = "crate::validate::double_option")]
    #[schema(value_type = Option<StatusInput>)]
    pub status: Option<Option<StatusInput>>,
    /// Keys merged into the stored preferences; a `null` value removes a key.
    #[schema(value_type = Option<Object>)]
    pub preferences: Option<serde_json::Map<String, serde_json::Value>>,
}

pub async fn update_profile(
    conn: &impl ConnectionTrait,
    me: user::Model,
    patch: ProfilePatch,
    name_max: usize,
) -> AppResult<user::Model> {
    let prefs_now = me.preferences.clone();
    let mut am = me.into_active_model();
    if let Some(name) = patch.display_name {
        am.display_name = Set(validate::display_text("display_name", &name, name_max)?);
    }
    if let Some(u) = patch.username {
        am.username = Set(validate::username(&u)?);
    }
    match patch.status {
        Some(None) => {
            am.status_text = Set(None);
            am.status_emoji = Set(None);
            am.status_expires_at = Set(None);
        }
        Some(Some(s)) => {
            let text = s.text.map(|t| validate::line_text("status.text", &t, 100)).transpose()?;
            let emoji = s.emoji.map(|e| validate::line_text("status.emoji", &e, 64)).transpose()?;
            am.status_text = Set(text.filter(|t| !t.is_empty()));
            am.status_emoji = Set(emoji.filter(|e| !e.is_empty()));
            am.status_expires_at = Set(s.expires_at_ms);
        }
        None => {}
    }
    if let Some(changes) = patch.preferences {
        let mut prefs: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&prefs_now).unwrap_or_default();
        for (k, v) in changes {
            if v.is_null() {
                prefs.remove(&k);
            } else {
                prefs.insert(k, v);
            }
        }
        let text = serde_json::to_string(&prefs).map_err(anyhow::Error::from)?;
        if text.len() > PREFERENCES_MAX_BYTES {
            return Err(AppError::invalid("preferences", format!("must be at most {PREFERENCES_MAX_BYTES} bytes")));
        }
        am.preferences = Set(text);
    }
    am.updated_at = Set(now_ms());
    am.update(conn).await.map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("already_exists", "that username is taken")
        } else {
            e.into()
        }
    })
}

/// Checks a new password against the person's own details and hashes it: done before
/// any transaction, so the slow hash never holds the write gate.
pub async fn hash_new_password(user: &user::Model, new_password: String) -> AppResult<String> {
    password::validate(&new_password, &[&user.email, &user.username, &user.display_name])?;
    password::hash(new_password).await
}

/// Stores a hash from `hash_new_password`, and voids every link mailed for the account
/// (reset, address change): whoever had them no longer holds a way in.
pub async fn set_password_hash(conn: &impl ConnectionTrait, user_id: Uuid, hash: String) -> AppResult<()> {
    void_mailed_links(conn, user_id).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Some(hash).into())
        .col_expr(user::Column::UpdatedAt, now_ms().into())
        .filter(user::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The holder just used a link mailed to the account's address.
pub async fn mark_email_confirmed(conn: &impl ConnectionTrait, user_id: Uuid) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::EmailConfirmedAt, Some(now_ms()).into())
        .filter(user::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes the account's unused reset and address-change links.
pub async fn void_mailed_links(conn: &impl ConnectionTrait, user_id: Uuid) -> AppResult<()> {
    use crate::accounts::model::email_change;
    use crate::auth::model::password_reset;
    password_reset::Entity::delete_many()
        .filter(password_reset::Column::UserId.eq(user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    email_change::Entity::delete_many()
        .filter(email_change::Column::UserId.eq(user_id))
        .filter(email_change::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Deactivation takes effect at once: every session and token is deleted with it.
pub async fn set_active(conn: &impl ConnectionTrait, user_id: Uuid, active: bool) -> AppResult<()> {
    let res = user::Entity::update_many()
        .col_expr(user::Column::DeactivatedAt, (if active { None } else { Some(now_ms()) }).into())
        .col_expr(user::Column::UpdatedAt, now_ms().into())
        .filter(user::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::NotFound("user"));
    }
    if !active {
        void_mailed_links(conn, user_id).await?;
        sessions::delete_all_for_user(conn, user_id, None).await?;
        api_tokens::delete_all_for_user(conn, user_id).await?;
    }
    Ok(())
}

/// Records that the person used Parley at `now` (the admin overview's activity counts).
pub async fn mark_active(conn: &impl ConnectionTrait, user_id: Uuid, now: i64) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::LastActiveAt, Some(now).into())
        .filter(user::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Makes the person an instance administrator, or no longer one.
pub async fn set_instance_admin(conn: &impl ConnectionTrait, user_id: Uuid, is_admin: bool) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::IsAdmin, is_admin.into())
        .col_expr(user::Column::UpdatedAt, now_ms().into())
        .filter(user::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}
