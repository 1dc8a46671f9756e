//! Rows of the inline reader read into the entities' own models.
//!
//! Each model lists its fields once here, in the entity's column order (the order sea-orm
//! selects them in); a field added to a model and not here fails to compile, and a
//! statement whose columns are not the listed ones in that order is refused before its
//! first row (`check_layout`). Fields are then read by position, as sqlx converts them
//! (`tests/api/inline_reads.rs` compares both).
use rusqlite::types::ValueRef;
use rusqlite::{Row, Statement};

/// A model read from consecutive columns of an inline row.
pub trait FromInline: Sized {
    /// Field names, in column order; the first is never NULL in a stored row.
    const FIELDS: &'static [&'static str];

    /// The model in the columns from `start` on.
    fn from_inline(row: &Row<'_>, start: usize) -> rusqlite::Result<Self>;

    /// None when the columns from `start` on are a LEFT JOIN's miss.
    fn from_inline_optional(row: &Row<'_>, start: usize) -> rusqlite::Result<Option<Self>> {
        match row.get_ref(start)? {
            ValueRef::Null => Ok(None),
            _ => Self::from_inline(row, start).map(Some),
        }
    }
}

/// Checks that `stmt` selects exactly `blocks` — each a prefix and a model's fields —
/// one after another, so that reading by position reads the named columns.
pub fn check_layout(stmt: &Statement<'_>, blocks: &[(&str, &[&str])]) -> rusqlite::Result<()> {
    let expected = blocks.iter().flat_map(|(prefix, fields)| fields.iter().map(move |f| (*prefix, *f)));
    let mut n = 0;
    for (i, (prefix, field)) in expected.enumerate() {
        let name = stmt.column_name(i)?;
        if name.strip_prefix(prefix) != Some(field) {
            return Err(layout_error(format!("column {i} is {name}, not {prefix}{field}")));
        }
        n = i + 1;
    }
    if stmt.column_count() != n {
        return Err(layout_error(format!("{} columns, not {n}", stmt.column_count())));
    }
    Ok(())
}

fn layout_error(msg: String) -> rusqlite::Error {
    rusqlite::Error::InvalidColumnName(format!("inline read: {msg}"))
}

macro_rules! from_inline {
    ($model:path, { $($field:ident),+ $(,)? }) => {
        impl FromInline for $model {
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),+];

            fn from_inline(row: &Row<'_>, start: usize) -> rusqlite::Result<Self> {
                let mut at = start;
                $(
                    let $field = row.get(at)?;
                    at += 1;
                )+
                let _ = at;
                Ok(Self { $($field),+ })
            }
        }
    };
}

from_inline!(crate::accounts::model::user::Model, {
    id, email, username, display_name, password_hash, is_admin, status_text, status_emoji,
    status_expires_at, preferences, deactivated_at, dnd, away, email_frequency,
    email_delay_minutes, created_at, is_bot, avatar_url, updated_at, email_confirmed_at,
    auth_version, last_active_at, legal_hold,
});

from_inline!(crate::workspaces::model::workspace::Model, {
    id, name, slug, created_by, created_at, members_create_hooks, sign_in_policy, retention_days,
    guests_allowed, storage_quota_bytes, archived_at,
});

from_inline!(crate::workspaces::model::member::Model, {
    workspace_id, user_id, role, joined_at, deactivated_at,
});

from_inline!(crate::channels::model::channel::Model, {
    id, workspace_id, kind, name, dm_key, topic, purpose, created_by, created_at,
    archived_at, last_seq, last_message_at, retention_days, legal_hold,
});

from_inline!(crate::channels::model::member::Model, {
    channel_id, user_id, role, joined_at, last_read_seq, muted, notify_level,
});

from_inline!(crate::messages::model::message::Model, {
    id, channel_id, seq, thread_root_id, author_id, client_msg_id, body, body_html,
    created_at, edited_at, deleted_at, reply_count, last_reply_at, attachments, app,
});

from_inline!(crate::messages::model::reaction::Model, {
    message_id, user_id, emoji, created_at,
});

from_inline!(crate::messages::model::pin::Model, {
    message_id, channel_id, pinned_by, pinned_at,
});

from_inline!(crate::files::model::file::Model, {
    id, workspace_id, channel_id, uploader_id, message_id, state, name, content_type, size,
    sha256, storage_key, width, height, thumb_state, thumb_width, thumb_height,
    thumb_content_type, discard_job_id, created_at, deleted_at,
});

#[cfg(test)]
mod tests {
    use super::check_layout;

    #[test]
    fn a_statement_must_select_the_listed_columns_in_order() {
        let conn = rusqlite::Connection::open_in_memory().expect("open");
        conn.execute_batch("CREATE TABLE t (a INTEGER, b TEXT)").expect("create");
        let plain = conn.prepare("SELECT a, b FROM t").expect("prepare");
        assert!(check_layout(&plain, &[("", &["a", "b"])]).is_ok());
        assert!(check_layout(&plain, &[("", &["b", "a"])]).is_err());
        assert!(check_layout(&plain, &[("", &["a"])]).is_err());
        assert!(check_layout(&plain, &[("", &["a", "b", "c"])]).is_err());
        let joined = conn.prepare("SELECT a AS x_a, b AS y_b FROM t").expect("prepare");
        assert!(check_layout(&joined, &[("x_", &["a"]), ("y_", &["b"])]).is_ok());
        assert!(check_layout(&joined, &[("x_", &["a"]), ("x_", &["b"])]).is_err());
    }
}
