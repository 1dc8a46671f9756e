//! Outgoing webhooks: subscriptions to events, one delivery row per event and hook
//! (written in the same transaction as the change), and every attempt to deliver it.
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
                    .table("outgoing_hooks")
                    .col(uuid("id").primary_key())
                    .col(uuid("workspace_id"))
                    // NULL: every public channel of the workspace.
                    .col(uuid_null("channel_id"))
                    // The identity replies are posted as.
                    .col(uuid("bot_user_id"))
                    .col(string_len("name", 80))
                    .col(string_len("url", 2048))
                    // JSON array of event types.
                    .col(text("events"))
                    // JSON array of words; a message must start with one of them.
                    .col(text_null("trigger_words"))
                    .col(string_len_null("prefix", 80))
                    .col(text("secret_sealed"))
                    // The secret before the last rotation, still signed with until `previous_secret_until`.
                    .col(text_null("previous_secret_sealed"))
                    .col(big_integer_null("previous_secret_until"))
                    // Deliveries go out one at a time in event order (a failing one holds the rest).
                    .col(boolean("ordered"))
                    .col(boolean("enabled"))
                    .col(string_len_null("disabled_reason", 500))
                    .col(integer("consecutive_failures"))
                    // When the current run of failures began; NULL after a success.
                    .col(big_integer_null("failing_since"))
                    .col(uuid("created_by"))
                    .col(big_integer("created_at"))
                    .col(big_integer_null("last_delivery_at"))
                    .foreign_key(&mut fk("outgoing_hooks", "workspace_id", "workspaces"))
                    .foreign_key(&mut fk("outgoing_hooks", "channel_id", "channels"))
                    .foreign_key(&mut fk("outgoing_hooks", "created_by", "users"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_outgoing_hooks_ws").table("outgoing_hooks").col("workspace_id").take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_deliveries")
                    .col(uuid("id").primary_key())
                    .col(uuid("hook_id"))
                    .col(string_len("event_type", 40))
                    // The exact body sent on every attempt (the signature covers it).
                    .col(text("payload"))
                    // The event's log position: deliveries of one hook go out in this order.
                    // NULL for tests and redeliveries, which wait for nothing.
                    .col(big_integer_null("event_pos"))
                    // pending, delivered or failed.
                    .col(string_len("state", 12))
                    .col(integer("attempts"))
                    .col(big_integer("next_attempt_at"))
                    // The job that sends the next attempt (woken early when an earlier delivery ends).
                    .col(uuid_null("job_id"))
                    .col(big_integer("created_at"))
                    .col(big_integer_null("finished_at"))
                    .foreign_key(&mut fk("webhook_deliveries", "hook_id", "outgoing_hooks"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_hook")
                    .table("webhook_deliveries")
                    .col("hook_id")
                    .col("state")
                    .col("event_pos")
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_attempts")
                    .col(uuid("id").primary_key())
                    .col(uuid("delivery_id"))
                    .col(uuid("hook_id"))
                    .col(big_integer("at"))
                    // The answer's status; NULL when none came (refused, timeout, connection).
                    .col(integer_null("status"))
                    .col(integer("latency_ms"))
                    .col(string_len_null("response_excerpt", 1024))
                    .col(string_len_null("error", 500))
                    .foreign_key(&mut fk("webhook_attempts", "delivery_id", "webhook_deliveries"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_attempts_delivery")
                    .table("webhook_attempts")
                    .col("delivery_id")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["webhook_attempts", "webhook_deliveries", "outgoing_hooks"] {
            manager.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
