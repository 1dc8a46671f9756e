//! What the admin dashboard reads that nothing recorded before:
//! - `users.last_active_at`: when the person last used Parley (signed in, or a session or
//!   token of theirs was touched, at most once a minute per credential). The overview
//!   counts people active per day, week and month from it; unlike sessions it survives a
//!   sign-out. Filled from the sessions there are.
//! - `audit_log.client`: the User-Agent of the request that made the change, beside the
//!   address it came from.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("users").add_column(big_integer_null("last_active_at")).take())
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE users SET last_active_at = (SELECT MAX(last_seen_at) FROM sessions WHERE sessions.user_id = users.id)",
            )
            .await?;
        manager.alter_table(Table::alter().table("audit_log").add_column(string_null("client")).take()).await?;
        manager
            .create_index(
                Index::create().name("idx_audit_actor_at").table("audit_log").col("actor_id").col("at").take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_audit_actor_at").table("audit_log").to_owned()).await?;
        manager.alter_table(Table::alter().table("audit_log").drop_column("client").take()).await?;
        manager.alter_table(Table::alter().table("users").drop_column("last_active_at").take()).await
    }
}
