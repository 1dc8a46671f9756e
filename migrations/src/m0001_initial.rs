//! Initial schema: accounts, workspaces, channels, messages and the job queue.
//! Times are Unix milliseconds (BIGINT) so both databases store and compare them alike.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn ms(col: &'static str) -> ColumnDef {
    big_integer(col)
}
fn ms_null(col: &'static str) -> ColumnDef {
    big_integer_null(col)
}

fn index(name: &'static str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(*c);
    }
    idx.take()
}

fn unique(name: &'static str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut idx = index(name, table, cols);
    idx.unique();
    idx
}

fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("users")
            .col(pk_uuid("id"))
            .col(string_len_uniq("email", 254))
            .col(string_len_uniq("username", 64))
            .col(string_len("display_name", 80))
            .col(text_null("password_hash"))
            .col(boolean("is_admin").default(false))
            .col(string_len_null("status_text", 100))
            .col(string_len_null("status_emoji", 64))
            .col(ms_null("status_expires_at"))
            .col(text("preferences").default("{}"))
            .col(ms_null("deactivated_at"))
            .col(ms("created_at"))
            .col(ms("updated_at"))
            .take(),
        Table::create()
            .table("workspaces")
            .col(pk_uuid("id"))
            .col(string_len("name", 80))
            .col(string_len_uniq("slug", 64))
            .col(uuid("created_by"))
            .col(ms("created_at"))
            .take(),
        Table::create()
            .table("workspace_members")
            .col(uuid("workspace_id"))
            .col(uuid("user_id"))
            .col(string_len("role", 16))
            .col(ms("joined_at"))
            .col(ms_null("deactivated_at"))
            .primary_key(Index::create().col("workspace_id").col("user_id"))
            .foreign_key(&mut fk("workspace_members", "workspace_id", "workspaces"))
            .foreign_key(&mut fk("workspace_members", "user_id", "users"))
            .take(),
        Table::create()
            .table("invites")
            .col(pk_uuid("id"))
            .col(uuid("workspace_id"))
            .col(string_len_uniq("token_hash", 64))
            .col(string_len_null("email", 254))
            .col(string_len("role", 16))
            .col(uuid("created_by"))
            .col(ms("created_at"))
            .col(ms("expires_at"))
            .col(integer("max_uses"))
            .col(integer("uses").default(0))
            .col(ms_null("revoked_at"))
            .foreign_key(&mut fk("invites", "workspace_id", "workspaces"))
            .take(),
        Table::create()
            .table("channels")
            .col(pk_uuid("id"))
            .col(uuid("workspace_id"))
            .col(string_len("kind", 16))
            .col(string_len_null("name", 80))
            .col(string_len_null("dm_key", 400))
            .col(string_len("topic", 250).default(""))
            .col(string_len("purpose", 250).default(""))
            .col(uuid("created_by"))
            .col(ms("created_at"))
            .col(ms_null("archived_at"))
            .col(big_integer("last_seq").default(0))
            .col(ms_null("last_message_at"))
            .foreign_key(&mut fk("channels", "workspace_id", "workspaces"))
            .take(),
        Table::create()
            .table("channel_members")
            .col(uuid("channel_id"))
            .col(uuid("user_id"))
            .col(string_len("role", 16))
            .col(ms("joined_at"))
            .col(big_integer("last_read_seq").default(0))
            .col(boolean("muted").default(false))
            .col(string_len("notify_level", 16).default("default"))
            .primary_key(Index::create().col("channel_id").col("user_id"))
            .foreign_key(&mut fk("channel_members", "channel_id", "channels"))
            .foreign_key(&mut fk("channel_members", "user_id", "users"))
            .take(),
        Table::create()
            .table("messages")
            .col(pk_uuid("id"))
            .col(uuid("channel_id"))
            .col(big_integer("seq"))
            .col(uuid_null("thread_root_id"))
            .col(uuid("author_id"))
            .col(string_len_null("client_msg_id", 64))
            .col(text("body"))
            .col(text("body_html"))
            .col(ms("created_at"))
            .col(ms_null("edited_at"))
            .col(ms_null("deleted_at"))
            .col(integer("reply_count").default(0))
            .col(ms_null("last_reply_at"))
            .foreign_key(&mut fk("messages", "channel_id", "channels"))
            .foreign_key(&mut fk("messages", "author_id", "users"))
            .take(),
        Table::create()
            .table("reactions")
            .col(uuid("message_id"))
            .col(uuid("user_id"))
            .col(string_len("emoji", 64))
            .col(ms("created_at"))
            .primary_key(Index::create().col("message_id").col("user_id").col("emoji"))
            .foreign_key(&mut fk("reactions", "message_id", "messages"))
            .take(),
        Table::create()
            .table("mentions")
            .col(pk_auto("id"))
            .col(uuid("message_id"))
            .col(uuid("channel_id"))
            .col(big_integer("seq"))
            .col(uuid_null("user_id"))
            .col(string_len("kind", 16))
            .foreign_key(&mut fk("mentions", "message_id", "messages"))
            .take(),
        Table::create()
            .table("pins")
            .col(pk_uuid("message_id"))
            .col(uuid("channel_id"))
            .col(uuid("pinned_by"))
            .col(ms("pinned_at"))
            .foreign_key(&mut fk("pins", "message_id", "messages"))
            .take(),
        Table::create()
            .table("sessions")
            .col(pk_uuid("id"))
            .col(uuid("user_id"))
            .col(string_len_uniq("token_hash", 64))
            .col(ms("created_at"))
            .col(ms("last_seen_at"))
            .col(ms("expires_at"))
            .col(string_len_null("user_agent", 200))
            .col(string_len_null("ip", 64))
            .foreign_key(&mut fk("sessions", "user_id", "users"))
            .take(),
        Table::create()
            .table("api_tokens")
            .col(pk_uuid("id"))
            .col(uuid("user_id"))
            .col(string_len("name", 80))
            .col(string_len_uniq("token_hash", 64))
            .col(string_len("prefix", 16))
            .col(ms("created_at"))
            .col(ms_null("last_used_at"))
            .col(ms_null("expires_at"))
            .foreign_key(&mut fk("api_tokens", "user_id", "users"))
            .take(),
        Table::create()
            .table("audit_log")
            .col(pk_uuid("id"))
            .col(ms("at"))
            .col(uuid_null("actor_id"))
            .col(uuid_null("workspace_id"))
            .col(string_len("action", 64))
            .col(string_len_null("target_kind", 32))
            .col(uuid_null("target_id"))
            .col(text("details").default("{}"))
            .col(string_len_null("ip", 64))
            .take(),
        Table::create()
            .table("jobs")
            .col(pk_uuid("id"))
            .col(string_len("kind", 64))
            .col(text("payload"))
            .col(string_len("state", 16))
            .col(integer("attempts").default(0))
            .col(integer("max_attempts"))
            .col(ms("run_at"))
            .col(ms_null("locked_until"))
            .col(text_null("last_error"))
            .col(ms("created_at"))
            .col(ms("updated_at"))
            .take(),
    ]
}

fn fk(from: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from, col).to(to, "id").on_delete(ForeignKeyAction::Cascade).take()
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        index("idx_workspace_members_user", "workspace_members", &["user_id"]),
        index("idx_invites_workspace", "invites", &["workspace_id"]),
        unique("uq_channels_workspace_name", "channels", &["workspace_id", "name"]),
        unique("uq_channels_dm_key", "channels", &["workspace_id", "dm_key"]),
        index("idx_channel_members_user", "channel_members", &["user_id"]),
        unique("uq_messages_channel_seq", "messages", &["channel_id", "seq"]),
        unique("uq_messages_author_client_id", "messages", &["author_id", "client_msg_id"]),
        index("idx_messages_thread", "messages", &["thread_root_id", "seq"]),
        index("idx_mentions_channel_user_seq", "mentions", &["channel_id", "user_id", "seq"]),
        index("idx_mentions_message", "mentions", &["message_id"]),
        index("idx_pins_channel", "pins", &["channel_id", "pinned_at"]),
        index("idx_sessions_user", "sessions", &["user_id"]),
        index("idx_api_tokens_user", "api_tokens", &["user_id"]),
        index("idx_audit_workspace_at", "audit_log", &["workspace_id", "at"]),
        index("idx_audit_at", "audit_log", &["at"]),
        index("idx_jobs_due", "jobs", &["state", "run_at"]),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for idx in indexes() {
            manager.create_index(idx).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables().iter().rev() {
            let name = table.get_table_name().cloned();
            if let Some(name) = name {
                manager.drop_table(Table::drop().table(name).take()).await?;
            }
        }
        Ok(())
    }
}
