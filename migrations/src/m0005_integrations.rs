//! Integrations: bot users (automation with an identity and scoped tokens), incoming
//! webhooks (each posts as a bot user of its own), message cards, and the workspace's
//! choice of whether members may create hooks.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, col).to(to, "id").on_delete(ForeignKeyAction::Cascade).take()
}

async fn add_column(manager: &SchemaManager<'_>, table: &'static str, col: ColumnDef) -> Result<(), DbErr> {
    manager.alter_table(Table::alter().table(table).add_column(col).take()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(manager, "users", boolean("is_bot").default(false).take()).await?;
        add_column(manager, "users", string_len_null("avatar_url", 2048).take()).await?;
        // JSON: the cards under a message, and the app's name and picture it was posted with.
        add_column(manager, "messages", text_null("attachments").take()).await?;
        add_column(manager, "messages", text_null("app").take()).await?;
        // Space-separated scopes of a bot token; NULL for a person's token (all they may do).
        add_column(manager, "api_tokens", text_null("scopes").take()).await?;
        add_column(manager, "workspaces", boolean("members_create_hooks").default(false).take()).await?;

        manager
            .create_table(
                Table::create()
                    .table("bots")
                    .col(uuid("user_id").primary_key())
                    .col(uuid("workspace_id"))
                    // `bot` (has tokens) or `hook` (the identity an incoming webhook posts as).
                    .col(string_len("kind", 8))
                    .col(uuid("owner_id"))
                    .col(string_len("description", 500))
                    .col(big_integer("created_at"))
                    .foreign_key(&mut fk("bots", "user_id", "users"))
                    .foreign_key(&mut fk("bots", "workspace_id", "workspaces"))
                    .foreign_key(&mut fk("bots", "owner_id", "users"))
                    .take(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_bots_workspace").table("bots").col("workspace_id").take())
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("incoming_hooks")
                    .col(uuid("id").primary_key())
                    .col(uuid("workspace_id"))
                    .col(uuid("channel_id"))
                    .col(uuid("bot_user_id"))
                    .col(string_len("name", 80))
                    .col(string_len_null("avatar_url", 2048))
                    .col(string_len("token_hash", 64).unique_key())
                    .col(string_len("token_prefix", 16))
                    // The secret native converters check signatures with, sealed (AEAD).
                    .col(text_null("secret_sealed"))
                    .col(uuid("created_by"))
                    .col(big_integer("created_at"))
                    .col(big_integer_null("rotated_at"))
                    .col(big_integer_null("last_used_at"))
                    .foreign_key(&mut fk("incoming_hooks", "workspace_id", "workspaces"))
                    .foreign_key(&mut fk("incoming_hooks", "channel_id", "channels"))
                    .foreign_key(&mut fk("incoming_hooks", "bot_user_id", "users"))
                    .foreign_key(&mut fk("incoming_hooks", "created_by", "users"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_hooks_workspace").table("incoming_hooks").col("workspace_id").take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("incoming_hooks").take()).await?;
        manager.drop_table(Table::drop().table("bots").take()).await?;
        for (table, col) in [
            ("workspaces", "members_create_hooks"),
            ("api_tokens", "scopes"),
            ("messages", "app"),
            ("messages", "attachments"),
            ("users", "avatar_url"),
            ("users", "is_bot"),
        ] {
            manager.alter_table(Table::alter().table(table).drop_column(col).take()).await?;
        }
        Ok(())
    }
}
