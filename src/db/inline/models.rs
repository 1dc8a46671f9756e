//! Rows of the inline reader read into the entities' own models.
//!
//! Each model lists its fields once here; a field added to a model and not here fails to
//! compile. Column names are the field names (no entity here renames a column), and the
//! values convert as sqlx converts them (`tests/api/inline_reads.rs` compares both).
use rusqlite::Row;

/// A model that can be read from an inline row whose columns are named `{prefix}{field}`.
pub trait FromInline: Sized {
    /// The column that is never NULL in a stored row (to tell a LEFT JOIN's miss).
    const KEY: &'static str;

    fn from_inline(row: &Row<'_>, prefix: &str) -> rusqlite::Result<Self>;

    /// None when the row holds no such model (a LEFT JOIN that found nothing).
    fn from_inline_optional(row: &Row<'_>, prefix: &str) -> rusqlite::Result<Option<Self>> {
        let key: rusqlite::types::ValueRef<'_> = row.get_ref(column(prefix, Self::KEY).as_str())?;
        match key {
            rusqlite::types::ValueRef::Null => Ok(None),
            _ => Self::from_inline(row, prefix).map(Some),
        }
    }
}

fn column(prefix: &str, field: &str) -> String {
    let mut name = String::with_capacity(prefix.len() + field.len());
    name.push_str(prefix);
    name.push_str(field);
    name
}

macro_rules! from_inline {
    ($model:path, key = $key:ident, { $($field:ident),+ $(,)? }) => {
        impl FromInline for $model {
            const KEY: &'static str = stringify!($key);

            fn from_inline(row: &Row<'_>, prefix: &str) -> rusqlite::Result<Self> {
                Ok(Self { $($field: row.get(column(prefix, stringify!($field)).as_str())?),+ })
            }
        }
    };
}

from_inline!(crate::accounts::model::user::Model, key = id, {
    id, email, username, display_name, password_hash, is_admin, status_text, status_emoji,
    status_expires_at, preferences, deactivated_at, dnd, away, email_frequency,
    email_delay_minutes, created_at, is_bot, avatar_url, updated_at, email_confirmed_at,
    auth_version,
});

from_inline!(crate::workspaces::model::workspace::Model, key = id, {
    id, name, slug, created_by, created_at, members_create_hooks, sign_in_policy,
});

from_inline!(crate::workspaces::model::member::Model, key = user_id, {
    workspace_id, user_id, role, joined_at, deactivated_at,
});

from_inline!(crate::channels::model::channel::Model, key = id, {
    id, workspace_id, kind, name, dm_key, topic, purpose, created_by, created_at,
    archived_at, last_seq, last_message_at,
});

from_inline!(crate::channels::model::member::Model, key = user_id, {
    channel_id, user_id, role, joined_at, last_read_seq, muted, notify_level,
});

from_inline!(crate::messages::model::message::Model, key = id, {
    id, channel_id, seq, thread_root_id, author_id, client_msg_id, body, body_html,
    created_at, edited_at, deleted_at, reply_count, last_reply_at, attachments, app,
});

from_inline!(crate::messages::model::reaction::Model, key = message_id, {
    message_id, user_id, emoji, created_at,
});

from_inline!(crate::messages::model::pin::Model, key = message_id, {
    message_id, channel_id, pinned_by, pinned_at,
});

from_inline!(crate::files::model::file::Model, key = id, {
    id, workspace_id, channel_id, uploader_id, message_id, state, name, content_type, size,
    storage_key, width, height, thumb_state, thumb_width, thumb_height, thumb_content_type,
    discard_job_id, created_at, deleted_at, sha256,
});
