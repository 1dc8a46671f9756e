//! Who a session cookie or an API token belongs to, answered from memory when possible.
//!
//! A cached entry maps a credential's hash to its owner and to the owner's
//! `auth_version` when the entry was loaded. Every request still reads the owner's row
//! (one primary-key lookup), so a deactivation or a changed role is seen at once; triggers
//! bump `auth_version` whenever one of the person's sessions or tokens is deleted, cut
//! short or changed, so an entry whose version no longer matches is dropped and the
//! credential looked up again — on every node, whatever made the change.
use std::collections::HashMap;
use std::sync::Mutex;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::model::{api_token, session};
use super::secret_token;
use crate::accounts::model::user;
use crate::clock::{now_ms, HOUR_MS};
use crate::db::{Db, ReadSource};
use crate::error::AppResult;

/// A session's expiry is pushed forward (and a token's last use recorded) at most this often.
const TOUCH_EVERY_MS: i64 = 60_000;
/// Past this many entries the cache starts over (each entry is ≈ 200 bytes).
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Session,
    Token,
}

/// A live credential and the person it belongs to (who may be deactivated: callers
/// decide what that means for them).
#[derive(Debug, Clone)]
pub struct Resolved {
    pub user: user::Model,
    /// The session's or token's id.
    pub id: Uuid,
    /// A bot token's scopes.
    pub scopes: Option<String>,
}

#[derive(Clone)]
struct Entry {
    kind: Kind,
    id: Uuid,
    user_id: Uuid,
    auth_version: i64,
    scopes: Option<String>,
    expires_at: Option<i64>,
    touched_at: i64,
}

#[derive(Default)]
pub struct CredentialCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl CredentialCache {
    fn get(&self, hash: &str, kind: Kind, now: i64) -> Option<Entry> {
        let entries = self.entries.lock().ok()?;
        let e = entries.get(hash)?;
        (e.kind == kind && e.expires_at.is_none_or(|x| x > now)).then(|| e.clone())
    }

    fn put(&self, hash: String, entry: Entry) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(hash, entry);
        }
    }

    fn forget(&self, hash: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(hash);
        }
    }

    fn touched(&self, hash: &str, now: i64, expires_at: Option<i64>) {
        if let Ok(mut entries) = self.entries.lock() {
            if let Some(e) = entries.get_mut(hash) {
                e.touched_at = now;
                e.expires_at = expires_at;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The live session for a cookie secret, sliding its expiry forward.
    pub async fn session(&self, db: &Db, secret: &str, idle_hours: i64) -> AppResult<Option<Resolved>> {
        self.resolve(db, secret, Kind::Session, idle_hours).await
    }

    /// The live API token (a person's or a bot's) for a bearer secret.
    pub async fn token(&self, db: &Db, secret: &str) -> AppResult<Option<Resolved>> {
        self.resolve(db, secret, Kind::Token, 0).await
    }

    async fn resolve(&self, db: &Db, secret: &str, kind: Kind, idle_hours: i64) -> AppResult<Option<Resolved>> {
        let conn = &db.conn;
        let hash = secret_token::hash(secret);
        let now = now_ms();
        let entry = match self.get(&hash, kind, now) {
            Some(e) => match db.find_one(user::Entity::find_by_id(e.user_id)).await? {
                Some(user) if user.auth_version == e.auth_version => Some((e, user)),
                _ => {
                    self.forget(&hash);
                    None
                }
            },
            None => None,
        };
        let (entry, user) = match entry {
            Some(hit) => hit,
            None => match load(conn, &hash, kind, now).await? {
                Some((e, user)) => {
                    self.put(hash.clone(), e.clone());
                    (e, user)
                }
                None => return Ok(None),
            },
        };
        if now - entry.touched_at > TOUCH_EVERY_MS {
            // Through the write gate: on SQLite a write outside it sleeps in the busy
            // handler while other requests write.
            let tx = db.write().await?;
            let expires_at = touch(&*tx, &entry, now, idle_hours).await?;
            tx.commit().await?;
            self.touched(&hash, now, expires_at);
        }
        Ok(Some(Resolved { user, id: entry.id, scopes: entry.scopes }))
    }
}

/// The credential and its owner in one statement (one snapshot: the version read is the
/// one that goes with the credential's existence).
async fn load(
    conn: &impl ConnectionTrait,
    hash: &str,
    kind: Kind,
    now: i64,
) -> AppResult<Option<(Entry, user::Model)>> {
    // (entry without the owner's version, stored hash, owner)
    let found = match kind {
        Kind::Session => session::Entity::find()
            .filter(session::Column::TokenHash.eq(hash))
            .find_also_related(user::Entity)
            .one(conn)
            .await?
            .map(|(s, u)| {
                let entry = Entry {
                    kind,
                    id: s.id,
                    user_id: s.user_id,
                    auth_version: 0,
                    scopes: None,
                    expires_at: Some(s.expires_at),
                    touched_at: s.last_seen_at,
                };
                (entry, s.token_hash, u)
            }),
        Kind::Token => api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(hash))
            .find_also_related(user::Entity)
            .one(conn)
            .await?
            .map(|(t, u)| {
                let entry = Entry {
                    kind,
                    id: t.id,
                    user_id: t.user_id,
                    auth_version: 0,
                    scopes: t.scopes,
                    expires_at: t.expires_at,
                    touched_at: t.last_used_at.unwrap_or(0),
                };
                (entry, t.token_hash, u)
            }),
    };
    Ok(found.and_then(|(entry, stored, user)| {
        let user = user?;
        let live = secret_token::hashes_match(&stored, hash) && entry.expires_at.is_none_or(|x| x > now);
        let entry = Entry { auth_version: user.auth_version, ..entry };
        live.then_some((entry, user))
    }))
}

/// Slides a session's expiry forward or records a token's use; answers the new expiry.
async fn touch(conn: &impl ConnectionTrait, e: &Entry, now: i64, idle_hours: i64) -> AppResult<Option<i64>> {
    crate::accounts::service::mark_active(conn, e.user_id, now).await?;
    match e.kind {
        Kind::Session => {
            let expires_at = now + idle_hours * HOUR_MS;
            session::Entity::update_many()
                .col_expr(session::Column::LastSeenAt, now.into())
                .col_expr(session::Column::ExpiresAt, expires_at.into())
                .filter(session::Column::Id.eq(e.id))
                .exec(conn)
                .await?;
            Ok(Some(expires_at))
        }
        Kind::Token => {
            api_token::Entity::update_many()
                .col_expr(api_token::Column::LastUsedAt, Some(now).into())
                .filter(api_token::Column::Id.eq(e.id))
                .exec(conn)
                .await?;
            Ok(e.expires_at)
        }
    }
}
