//! Slash commands: `/name` in a workspace → a URL that is called, signed, with Slack's
//! form fields; and the one-time-ish `response_url`s a command server answers through.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, col).to(to, "id").on_delete(ForeignKeyAction::Cascade).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("slash_commands")
                    .col(uuid("id").primary_key())
                    .col(uuid("workspace_id"))
                    // Without the slash, lowercase.
                    .col(string_len("name", 32))
                    .col(string_len("url", 2048))
                    // POST (form body) or GET (query string).
                    .col(string_len("method", 8))
                    .col(string_len("description", 200))
                    .col(string_len("usage_hint", 100))
                    // The identity in_channel replies are posted as.
                    .col(uuid("bot_user_id"))
                    .col(text("secret_sealed"))
                    .col(uuid("created_by"))
                    .col(big_integer("created_at"))
                    .col(big_integer_null("last_used_at"))
                    .foreign_key(&mut fk("slash_commands", "workspace_id", "workspaces"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_slash_commands_name")
                    .table("slash_commands")
                    .col("workspace_id")
                    .col("name")
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("command_responses")
                    .col(uuid("id").primary_key())
                    .col(string_len("token_hash", 64).unique_key())
                    .col(uuid("command_id"))
                    // Who ran it, where: ephemeral answers go to them, in_channel ones there.
                    .col(uuid("user_id"))
                    .col(uuid("channel_id"))
                    .col(uuid_null("thread_root_id"))
                    .col(integer("uses_left"))
                    .col(big_integer("expires_at"))
                    .foreign_key(&mut fk("command_responses", "command_id", "slash_commands"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["command_responses", "slash_commands"] {
            manager.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
