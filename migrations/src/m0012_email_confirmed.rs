//! When Parley last saw proof that an account's holder receives mail at its address (a
//! mailed link used, an invitation made out to that address, an identity provider
//! vouching for it). Only such accounts may be linked to an identity provider by address:
//! an address someone merely typed in proves nothing.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("users").add_column(big_integer_null("email_confirmed_at")).take())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("users").drop_column("email_confirmed_at").take()).await
    }
}
