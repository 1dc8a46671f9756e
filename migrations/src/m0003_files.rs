//! Files: uploaded blobs, the channel they were shared in and the message that carries
//! them. A row is `pending` while its bytes stream to the blob store and `ready` after.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from("files", col).to(to, "id").on_delete(ForeignKeyAction::Cascade).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("files")
                    .col(uuid("id").primary_key())
                    .col(uuid("workspace_id"))
                    .col(uuid("channel_id"))
                    .col(uuid("uploader_id"))
                    .col(uuid_null("message_id"))
                    .col(string_len("state", 16))
                    .col(string_len("name", 255))
                    .col(string_len("content_type", 127))
                    .col(big_integer("size"))
                    .col(string_len("sha256", 64))
                    .col(string_len("storage_key", 255))
                    .col(integer_null("width"))
                    .col(integer_null("height"))
                    // `none` (not an image), `queued`, `ready` or `failed`.
                    .col(string_len("thumb_state", 16))
                    .col(integer_null("thumb_width"))
                    .col(integer_null("thumb_height"))
                    .col(string_len_null("thumb_content_type", 64))
                    // The safety-net job that removes the row and blob if the upload never finishes.
                    .col(uuid_null("discard_job_id"))
                    .col(big_integer("created_at"))
                    .col(big_integer_null("deleted_at"))
                    .foreign_key(&mut fk("workspace_id", "workspaces"))
                    .foreign_key(&mut fk("channel_id", "channels"))
                    .foreign_key(&mut fk("uploader_id", "users"))
                    .take(),
            )
            .await?;
        for (name, cols) in [
            ("idx_files_message", &["message_id"][..]),
            ("idx_files_channel", &["channel_id", "id"][..]),
            ("idx_files_workspace", &["workspace_id", "state"][..]),
            ("idx_files_uploader", &["uploader_id", "id"][..]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table("files");
            for c in cols {
                idx.col(*c);
            }
            manager.create_index(idx.take()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("files").take()).await?;
        Ok(())
    }
}
