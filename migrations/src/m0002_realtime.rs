//! Realtime: the durable event log with its global, commit-ordered position counter,
//! and the do-not-disturb presence flag.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row. Every transaction that records events bumps it as its last statement,
        // so positions are handed out in commit order and a rollback leaves no gap.
        manager
            .create_table(
                Table::create()
                    .table("event_counter")
                    .col(integer("id").primary_key())
                    .col(big_integer("last_pos"))
                    .col(big_integer("pruned_through").default(0))
                    .take(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("event_counter")
                    .columns(["id", "last_pos"])
                    .values_panic([1.into(), 0i64.into()])
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("events")
                    .col(big_integer("pos").primary_key())
                    .col(big_integer("at"))
                    .col(string_len("kind", 48))
                    .col(string_len("audience", 16))
                    .col(uuid_null("workspace_id"))
                    .col(uuid_null("channel_id"))
                    .col(uuid_null("user_id"))
                    .col(text("payload"))
                    .take(),
            )
            .await?;
        for (name, col) in [
            ("idx_events_channel_pos", "channel_id"),
            ("idx_events_user_pos", "user_id"),
            ("idx_events_workspace_pos", "workspace_id"),
        ] {
            manager.create_index(Index::create().name(name).table("events").col(col).col("pos").take()).await?;
        }
        manager.create_index(Index::create().name("idx_events_at").table("events").col("at").take()).await?;
        manager.alter_table(Table::alter().table("users").add_column(boolean("dnd").default(false)).take()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("users").drop_column("dnd").take()).await?;
        manager.drop_table(Table::drop().table("events").take()).await?;
        manager.drop_table(Table::drop().table("event_counter").take()).await?;
        Ok(())
    }
}
