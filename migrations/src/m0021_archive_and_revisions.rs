//! Two compliance needs of the admin dashboard:
//! - `workspaces.archived_at`: an archived workspace is read-only for everyone (its
//!   history stays readable, searchable and exportable) until it is unarchived;
//! - `message_revisions`: the text a message had before each edit, kept for compliance
//!   exports only, and removed with the message when it is deleted or expires.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("workspaces").add_column(big_integer_null("archived_at")).take())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("message_revisions")
                    .col(uuid("id").primary_key())
                    .col(uuid("message_id"))
                    .col(text("body"))
                    .col(big_integer("written_at"))
                    .col(big_integer("replaced_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("message_revisions", "message_id")
                            .to("messages", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_message_revisions_message")
                    .table("message_revisions")
                    .col("message_id")
                    .col("replaced_at")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("message_revisions").to_owned()).await?;
        manager.alter_table(Table::alter().table("workspaces").drop_column("archived_at").take()).await
    }
}
