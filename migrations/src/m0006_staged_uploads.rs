//! Files uploaded the Slack way (files.getUploadURLExternal, a POST of the bytes, then
//! files.completeUploadExternal naming the channel): until the last step the file has
//! no channel, so it waits here rather than in `files`.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from("staged_uploads", col).to(to, "id").on_delete(ForeignKeyAction::Cascade).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("staged_uploads")
                    .col(uuid("id").primary_key())
                    .col(uuid("user_id"))
                    .col(string_len("name", 255))
                    .col(big_integer("declared_size"))
                    // The upload URL's secret, hashed: the POST of the bytes carries no token.
                    .col(string_len("token_hash", 64).unique_key())
                    .col(string_len("storage_key", 200))
                    // Set once the bytes are stored.
                    .col(big_integer_null("size"))
                    .col(string_len_null("sha256", 64))
                    .col(string_len_null("content_type", 255))
                    // Removes the row and its bytes if the upload is never completed.
                    .col(uuid("discard_job_id"))
                    .col(big_integer("created_at"))
                    .foreign_key(&mut fk("user_id", "users"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("staged_uploads").take()).await
    }
}
