//! `admin_tasks`: long work an administrator starts from the dashboard (a search index
//! rebuild, a compliance export), run by a durable job, with its progress where every
//! node's pages can read it, and its result (an export's file) kept until it expires.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("admin_tasks")
                    .col(uuid("id").primary_key())
                    // search_rebuild or compliance_export.
                    .col(string_len("kind", 32))
                    // queued, running, done or failed.
                    .col(string_len("state", 12))
                    .col(uuid_null("requested_by"))
                    // What was asked (JSON): an export's scope and dates.
                    .col(text("params"))
                    .col(big_integer("done"))
                    .col(big_integer("total"))
                    .col(text_null("error"))
                    // What came of it (JSON): an export's file key, size and SHA-256.
                    .col(text_null("result"))
                    .col(big_integer("created_at"))
                    .col(big_integer_null("started_at"))
                    .col(big_integer_null("finished_at"))
                    // When its result is deleted (exports: a day after they finish).
                    .col(big_integer_null("expires_at"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_admin_tasks_kind").table("admin_tasks").col("kind").col("created_at").take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("admin_tasks").to_owned()).await
    }
}
