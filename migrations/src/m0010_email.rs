//! E-mail: every mail Parley sends (kept until sent, or parked for an admin), the
//! notifications waiting to go into someone's next digest, when each person's digest
//! is due, each person's choice of how often to be mailed, password reset links and
//! address changes waiting for the new address to be confirmed.
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
                    .table("mails")
                    .col(uuid("id").primary_key())
                    // digest, password_reset, invitation, …
                    .col(string_len("kind", 32))
                    .col(uuid_null("user_id"))
                    .col(string_len("to_address", 320))
                    .col(string_len("subject", 300))
                    // The whole message (RFC 5322, 7-bit): every attempt sends the same bytes.
                    .col(text("raw"))
                    // pending, sent or parked.
                    .col(string_len("state", 12))
                    .col(integer("attempts"))
                    .col(text_null("last_error"))
                    .col(big_integer("created_at"))
                    .col(big_integer("updated_at"))
                    .col(big_integer_null("sent_at"))
                    .take(),
            )
            .await?;
        manager.create_index(Index::create().name("idx_mails_state").table("mails").col("state").take()).await?;
        manager
            .create_table(
                Table::create()
                    .table("email_pending")
                    .col(uuid("user_id"))
                    .col(uuid("message_id"))
                    // dm, mention, channel_mention or thread.
                    .col(string_len("reason", 16))
                    .col(big_integer("created_at"))
                    .primary_key(Index::create().col("user_id").col("message_id"))
                    .foreign_key(&mut fk("email_pending", "user_id", "users"))
                    .foreign_key(&mut fk("email_pending", "message_id", "messages"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("email_digests")
                    .col(uuid("user_id").primary_key())
                    // When the scheduled digest runs; NULL when none is scheduled.
                    .col(big_integer_null("due_at"))
                    .col(big_integer_null("last_sent_at"))
                    .foreign_key(&mut fk("email_digests", "user_id", "users"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("password_resets")
                    .col(uuid("id").primary_key())
                    .col(uuid("user_id"))
                    // SHA-256 of the link's secret; the secret itself is only in the mail.
                    .col(string_len("token_hash", 64).unique_key())
                    .col(big_integer("expires_at"))
                    .col(big_integer_null("used_at"))
                    .col(big_integer("created_at"))
                    .foreign_key(&mut fk("password_resets", "user_id", "users"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("email_changes")
                    .col(uuid("id").primary_key())
                    .col(uuid("user_id"))
                    .col(string_len("new_email", 320))
                    // SHA-256 of the link mailed to the new address.
                    .col(string_len("token_hash", 64).unique_key())
                    .col(big_integer("expires_at"))
                    .col(big_integer_null("used_at"))
                    .col(big_integer("created_at"))
                    .foreign_key(&mut fk("email_changes", "user_id", "users"))
                    .take(),
            )
            .await?;
        // after_delay (delay_minutes, or the server's when NULL), immediately, hourly, never.
        let users = |col: ColumnDef| Table::alter().table("users").add_column(col).take();
        manager.alter_table(users(string_len("email_frequency", 16).default("after_delay").take())).await?;
        manager.alter_table(users(integer_null("email_delay_minutes").take())).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in ["email_frequency", "email_delay_minutes"] {
            manager.alter_table(Table::alter().table("users").drop_column(col).take()).await?;
        }
        for table in ["email_changes", "password_resets", "email_digests", "email_pending", "mails"] {
            manager.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}
