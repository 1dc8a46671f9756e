//! Mails on their way: written (with the job that sends it) in the transaction of
//! whatever caused it, then handed to the transport by the `mail.send` job. A mail is
//! marked sent in one statement right after the transport accepts it; a crash in
//! between is the only window in which a mail can go out twice (docs/email.md).
use std::sync::Arc;

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::compose::{self, Draft};
use super::model::{mail, PARKED, PENDING, SENT};
use crate::clock::now_ms;
use crate::error::AppResult;
use crate::jobs::{queue, JobFuture, JobHandler, JobRegistry, MAIL_LANE};
use crate::settings::Settings;
use crate::state::AppState;

pub const SEND_JOB: &str = "mail.send";
/// The job's own attempts cover the worker's failures (the database); the server's
/// refusals are counted on the mail (`email.max_attempts`), which then parks it.
const JOB_ATTEMPTS: i32 = 1000;
const SUBJECT_CHARS: usize = 300;
const ERROR_CHARS: usize = 2000;

/// Writes a mail and the job that sends it; pass the transaction of the change. A mail
/// that cannot be written (an address from before addresses were checked as strictly)
/// is logged and skipped: it never holds up the change that caused it.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    kind: &str,
    user_id: Option<Uuid>,
    draft: &Draft,
) -> AppResult<Option<Uuid>> {
    let id = Uuid::now_v7();
    let raw = match compose::render(id, &settings.email, &settings.site_host(), draft) {
        Ok(raw) => raw,
        Err(e) => {
            tracing::warn!(kind, user_id = ?user_id, error = %e, "a mail could not be written; skipped");
            return Ok(None);
        }
    };
    let now = now_ms();
    mail::ActiveModel {
        id: Set(id),
        kind: Set(kind.to_owned()),
        user_id: Set(user_id),
        to_address: Set(draft.to_address.clone()),
        subject: Set(compose::one_line(&draft.subject).chars().take(SUBJECT_CHARS).collect()),
        raw: Set(String::from_utf8_lossy(&raw).into_owned()),
        state: Set(PENDING.into()),
        attempts: Set(0),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        sent_at: Set(None),
    }
    .insert(conn)
    .await?;
    queue::enqueue(conn, SEND_JOB, &serde_json::json!({ "mail_id": id }), JOB_ATTEMPTS, 0).await?;
    Ok(Some(id))
}

pub struct Send;

impl JobHandler for Send {
    fn run(&self, state: AppState, payload: serde_json::Value) -> JobFuture {
        Box::pin(async move {
            match crate::jobs::uuid_in(&payload, "mail_id") {
                Some(id) => send(&state, id).await,
                None => Ok(()),
            }
        })
    }
    fn max_run_s(&self) -> Option<u64> {
        Some(120)
    }
}

pub fn register(registry: &mut JobRegistry) {
    registry.register_in_lane(SEND_JOB, Arc::new(Send), MAIL_LANE);
}

async fn send(state: &AppState, id: Uuid) -> anyhow::Result<()> {
    let conn = &state.db.conn;
    let Some(m) = mail::Entity::find_by_id(id).one(conn).await? else { return Ok(()) };
    if m.state != PENDING {
        return Ok(());
    }
    let outgoing = super::transport::Outgoing {
        id: m.id,
        from: &state.settings.email.from_address,
        to: &m.to_address,
        raw: m.raw.as_bytes(),
    };
    let attempts = m.attempts + 1;
    let now = now_ms();
    match state.mailer.send(&outgoing).await {
        Ok(()) => {
            // Sent: its body (reset links, private messages) is not kept.
            mail::Entity::update_many()
                .col_expr(mail::Column::State, SENT.into())
                .col_expr(mail::Column::Raw, String::new().into())
                .col_expr(mail::Column::Attempts, attempts.into())
                .col_expr(mail::Column::SentAt, Some(now).into())
                .col_expr(mail::Column::UpdatedAt, now.into())
                .filter(mail::Column::Id.eq(id))
                .exec(conn)
                .await?;
            metrics::counter!("parley_mails_total", "outcome" => "sent").increment(1);
            Ok(())
        }
        Err(e) => {
            let error: String = e.message.chars().take(ERROR_CHARS).collect();
            state.faults.note("mail", &error);
            let parked = e.permanent || attempts >= state.settings.email.max_attempts.max(1);
            mail::Entity::update_many()
                .col_expr(mail::Column::State, if parked { PARKED } else { PENDING }.into())
                .col_expr(mail::Column::Attempts, attempts.into())
                .col_expr(mail::Column::LastError, Some(error.clone()).into())
                .col_expr(mail::Column::UpdatedAt, now.into())
                .filter(mail::Column::Id.eq(id))
                .exec(conn)
                .await?;
            if parked {
                tracing::warn!(mail_id = %id, attempts, error = %error, "mail parked after its last attempt");
                metrics::counter!("parley_mails_total", "outcome" => "parked").increment(1);
                return Ok(());
            }
            // The job queue waits (growing pauses) and runs this again.
            Err(anyhow::anyhow!("the mail server did not take the mail: {error}"))
        }
    }
}

/// Puts a parked mail back in line (an admin's retry); false when it is not parked.
pub async fn retry(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<bool> {
    let done = mail::Entity::update_many()
        .col_expr(mail::Column::State, PENDING.into())
        .col_expr(mail::Column::Attempts, 0.into())
        .col_expr(mail::Column::UpdatedAt, now_ms().into())
        .filter(mail::Column::Id.eq(id))
        .filter(mail::Column::State.eq(PARKED))
        .exec(conn)
        .await?;
    if done.rows_affected == 0 {
        return Ok(false);
    }
    queue::enqueue(conn, SEND_JOB, &serde_json::json!({ "mail_id": id }), JOB_ATTEMPTS, 0).await?;
    Ok(true)
}

/// Forgets a parked mail. Answers false if it is not (or no longer) parked.
pub async fn discard_parked(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<bool> {
    let done = mail::Entity::delete_many()
        .filter(mail::Column::Id.eq(id))
        .filter(mail::Column::State.eq(PARKED))
        .exec(conn)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Forgets sent mails created before `cutoff_ms` (pending and parked ones stay), and
/// reset and address-confirmation links that ended before it.
pub async fn prune(conn: &impl ConnectionTrait, cutoff_ms: i64) -> AppResult<u64> {
    use crate::accounts::model::email_change;
    use crate::auth::model::password_reset;
    let mails = mail::Entity::delete_many()
        .filter(mail::Column::State.eq(SENT))
        .filter(mail::Column::CreatedAt.lt(cutoff_ms))
        .exec(conn)
        .await?;
    let resets = password_reset::Entity::delete_many()
        .filter(password_reset::Column::ExpiresAt.lt(cutoff_ms))
        .exec(conn)
        .await?;
    let changes =
        email_change::Entity::delete_many().filter(email_change::Column::ExpiresAt.lt(cutoff_ms)).exec(conn).await?;
    Ok(mails.rows_affected + resets.rows_affected + changes.rows_affected)
}
