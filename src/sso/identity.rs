//! Who a verified provider answer is: the person linked to (issuer, subject); else, if
//! the provider may, the account with the same verified address; else a new person if
//! the provider allows sign-up. Everything — the link, the account, the rules — is one
//! transaction: a refusal at any step leaves nothing behind.
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::claims::Claims;
use super::failure::{FailureKind, FlowError, SsoFailure};
use super::model::identity;
use super::provider::Provider;
use crate::accounts::model::user;
use crate::accounts::service::{self as accounts, NewUser};
use crate::audit::{self, AuditEvent};
use crate::clock::now_ms;
use crate::db::{is_unique_violation, WriteTx};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::validate;

/// Signing in, or linking another identity to the signed-in person `Link(user)`.
#[derive(Clone, Copy)]
pub enum Intent {
    SignIn,
    Link(Uuid),
}

pub struct SignedIn {
    pub user: user::Model,
    pub created: bool,
}

pub async fn find(conn: &impl ConnectionTrait, issuer: &str, subject: &str) -> AppResult<Option<identity::Model>> {
    Ok(identity::Entity::find()
        .filter(identity::Column::Issuer.eq(issuer))
        .filter(identity::Column::Subject.eq(subject))
        .one(conn)
        .await?)
}

fn refuse(kind: FailureKind, detail: impl Into<String>) -> FlowError {
    SsoFailure::new(kind, detail).into()
}

pub async fn resolve(
    state: &AppState,
    p: &Provider,
    claims: &Claims,
    intent: Intent,
    ip: &str,
) -> Result<SignedIn, FlowError> {
    let issuer = p.issuer();
    let tx = state.db.write().await?;
    let linked = find(&*tx, &issuer, &claims.subject).await?;
    let (user, created, link) = match (intent, linked) {
        (Intent::Link(me), Some(l)) if l.user_id != me => {
            return Err(refuse(FailureKind::IdentityTaken, "linked to another account"));
        }
        (Intent::Link(me), l) => (active_user(&*tx, me).await?, false, l.is_none()),
        (Intent::SignIn, Some(l)) => (active_user(&*tx, l.user_id).await?, false, false),
        (Intent::SignIn, None) => {
            let (user, created) = first_sign_in(state, &tx, p, claims).await?;
            (user, created, true)
        }
    };
    let now = now_ms();
    if link {
        identity::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user.id),
            provider_id: Set(p.settings.id.clone()),
            issuer: Set(issuer),
            subject: Set(claims.subject.clone()),
            email: Set(claims.email.clone()),
            created_at: Set(now),
            last_login_at: Set(now),
        }
        .insert(&*tx)
        .await
        .map_err(|e| match is_unique_violation(&e) {
            // Two first sign-ins of one identity at once: the other one linked it.
            true => AppError::conflict("already_exists", "this identity was linked a moment ago; sign in again"),
            false => e.into(),
        })?;
        audit::record(
            &*tx,
            AuditEvent::new(Some(user.id), "sso.identity_linked")
                .target("user", user.id)
                .details(serde_json::json!({"provider": p.settings.id}))
                .ip(ip),
        )
        .await?;
    } else {
        identity::Entity::update_many()
            .col_expr(identity::Column::LastLoginAt, now.into())
            .col_expr(identity::Column::Email, claims.email.clone().into())
            .filter(identity::Column::Issuer.eq(p.issuer()))
            .filter(identity::Column::Subject.eq(&claims.subject))
            .exec(&*tx)
            .await?;
    }
    if let Intent::SignIn = intent {
        super::rules::apply(&tx, &p.settings, user.id, claims).await?;
        if !user.is_admin {
            if let Some(other) = super::policy::provider_required(&*tx, &state.sso, &p.settings.id, user.id).await? {
                return Err(refuse(
                    FailureKind::OtherProviderRequired,
                    format!("a workspace signs in through {other}"),
                ));
            }
        }
        let ev = AuditEvent::new(Some(user.id), "auth.login").details(serde_json::json!({"sso": p.settings.id}));
        audit::record(&*tx, ev.ip(ip)).await?;
    }
    tx.commit().await?;
    Ok(SignedIn { user, created })
}

/// An identity Parley has not seen: the account with the provider's address, if the
/// provider verified it, may link by it, and Parley knows the account's holder receives
/// mail there (never an instance admin's: those link from Settings); else a new person.
/// An unverified address is not even looked up — the page must not tell whether an
/// account has it.
async fn first_sign_in(
    state: &AppState,
    tx: &WriteTx,
    p: &Provider,
    claims: &Claims,
) -> Result<(user::Model, bool), FlowError> {
    if !claims.email_verified {
        if !p.settings.allow_signup {
            return Err(refuse(FailureKind::SignupClosed, "sign-up is off"));
        }
        if claims.email.is_some() && !p.settings.signup_with_unverified_email {
            return Err(refuse(FailureKind::EmailUnverified, "the address is not verified"));
        }
        return match create_user(state, tx, claims, false).await {
            Err(FlowError::Server(AppError::Conflict { code: "already_exists", .. })) => {
                Err(refuse(FailureKind::LinkRequired, "an account has this address; not linked"))
            }
            other => Ok((other?, true)),
        };
    }
    match existing_by_email(&**tx, claims).await? {
        Some(u) if u.deactivated_at.is_some() => Err(refuse(FailureKind::Deactivated, "deactivated")),
        Some(u) if p.settings.link_by_verified_email && u.email_confirmed_at.is_some() && !u.is_admin => Ok((u, false)),
        Some(_) => Err(refuse(FailureKind::LinkRequired, "an account has this address; not linked")),
        None if !p.settings.allow_signup => Err(refuse(FailureKind::SignupClosed, "sign-up is off")),
        None => Ok((create_user(state, tx, claims, true).await?, true)),
    }
}

/// A person who may sign in: present, not deactivated in Parley, not a bot.
async fn active_user(conn: &impl ConnectionTrait, id: Uuid) -> Result<user::Model, FlowError> {
    match accounts::find_by_id(conn, id).await? {
        Some(u) if u.deactivated_at.is_none() && !u.is_bot => Ok(u),
        Some(_) => Err(refuse(FailureKind::Deactivated, "deactivated")),
        None => Err(AppError::NotFound("user").into()),
    }
}

async fn existing_by_email(conn: &impl ConnectionTrait, claims: &Claims) -> AppResult<Option<user::Model>> {
    match &claims.email {
        Some(e) => Ok(accounts::find_by_email(conn, e).await?.filter(|u| !u.is_bot)),
        None => Ok(None),
    }
}

/// A new person from what the provider said: name, address, avatar; no password.
async fn create_user(
    state: &AppState,
    tx: &WriteTx,
    claims: &Claims,
    address_verified: bool,
) -> Result<user::Model, FlowError> {
    let email = claims.email.clone().ok_or_else(|| refuse(FailureKind::EmailMissing, "no e-mail claim"))?;
    let name_max = state.settings.limits.name_chars;
    let local = email.split('@').next().unwrap_or("someone").to_owned();
    let display_name =
        claims.name.as_deref().and_then(|n| validate::display_text("display_name", n, name_max).ok()).unwrap_or(local);
    let username = claims.username.as_deref().and_then(|u| validate::username(u).ok());
    let mut prepared =
        accounts::prepare(NewUser { email, username, display_name, password: None, is_admin: false }, name_max)
            .await
            .map_err(|e| refuse(FailureKind::EmailMissing, format!("unusable e-mail claim: {e}")))?;
    if address_verified {
        prepared = prepared.email_confirmed();
    }
    let mut user = accounts::insert(&**tx, prepared).await?;
    if let Some(avatar) = &claims.avatar_url {
        let mut am: user::ActiveModel = user.clone().into();
        am.avatar_url = Set(Some(avatar.chars().take(1000).collect()));
        user = am.update(&**tx).await?;
    }
    audit::record(
        &**tx,
        AuditEvent::new(Some(user.id), "auth.signup")
            .target("user", user.id)
            .details(serde_json::json!({"via": "sso"})),
    )
    .await?;
    Ok(user)
}

/// A person's linked identities, oldest first.
pub async fn list(conn: &impl ConnectionTrait, user_id: Uuid) -> AppResult<Vec<identity::Model>> {
    Ok(identity::Entity::find()
        .filter(identity::Column::UserId.eq(user_id))
        .order_by_asc(identity::Column::CreatedAt)
        .all(conn)
        .await?)
}

/// The person's identities count as just used (see accounts/activation.rs).
pub async fn restart_inactivity_clock(conn: &impl ConnectionTrait, user_id: Uuid) -> AppResult<()> {
    identity::Entity::update_many()
        .col_expr(identity::Column::LastLoginAt, now_ms().into())
        .filter(identity::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}
