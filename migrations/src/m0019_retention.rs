//! Retention and legal hold: a workspace may keep messages (and their files) for N days
//! only; a channel may keep them longer, shorter or forever instead; a channel or a
//! person on legal hold keeps everything whatever the policy says.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // NULL: keep forever.
        manager
            .alter_table(Table::alter().table("workspaces").add_column(integer_null("retention_days")).take())
            .await?;
        // NULL: the workspace's policy; 0: keep forever; N: N days.
        manager.alter_table(Table::alter().table("channels").add_column(integer_null("retention_days")).take()).await?;
        manager
            .alter_table(Table::alter().table("channels").add_column(boolean("legal_hold").default(false)).take())
            .await?;
        manager.alter_table(Table::alter().table("users").add_column(boolean("legal_hold").default(false)).take()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("users").drop_column("legal_hold").take()).await?;
        manager.alter_table(Table::alter().table("channels").drop_column("legal_hold").take()).await?;
        manager.alter_table(Table::alter().table("channels").drop_column("retention_days").take()).await?;
        manager.alter_table(Table::alter().table("workspaces").drop_column("retention_days").take()).await
    }
}
