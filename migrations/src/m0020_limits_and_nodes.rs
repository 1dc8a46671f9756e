//! Per-workspace limits an instance administrator sets, and the nodes of a cluster:
//! - `workspaces.guests_allowed`: whether guests may be invited (or made) there;
//! - `workspaces.storage_quota_bytes`: its own file quota (NULL: the server's
//!   `files.workspace_quota_bytes`; 0: none);
//! - `nodes`: each running node's row, refreshed every minute, so any node's admin pages
//!   can show them all with their sockets.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("workspaces").add_column(boolean("guests_allowed").default(true)).take())
            .await?;
        manager
            .alter_table(Table::alter().table("workspaces").add_column(big_integer_null("storage_quota_bytes")).take())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("nodes")
                    .col(uuid("id").primary_key())
                    .col(string_len("hostname", 255))
                    .col(integer("pid"))
                    .col(string_len("version", 32))
                    .col(big_integer("started_at"))
                    .col(integer("sockets"))
                    .col(integer("connections"))
                    .col(big_integer("seen_at"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("nodes").to_owned()).await?;
        manager.alter_table(Table::alter().table("workspaces").drop_column("storage_quota_bytes").take()).await?;
        manager.alter_table(Table::alter().table("workspaces").drop_column("guests_allowed").take()).await
    }
}
