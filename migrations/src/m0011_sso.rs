//! Single sign-on: identities at an identity provider linked to people (by issuer and
//! subject, never by e-mail alone), sign-ins on their way through a provider (one row
//! per attempt, used once), which sessions came through a provider, and each
//! workspace's sign-in policy.
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
                    .table("sso_identities")
                    .col(uuid("id").primary_key())
                    .col(uuid("user_id"))
                    // The configured provider's id (it may be renamed; issuer + subject stay).
                    .col(string_len("provider_id", 64))
                    .col(string_len("issuer", 512))
                    .col(string_len("subject", 255))
                    .col(string_len_null("email", 320))
                    .col(big_integer("created_at"))
                    .col(big_integer("last_login_at"))
                    .foreign_key(&mut fk("sso_identities", "user_id", "users"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sso_identities_issuer_subject")
                    .table("sso_identities")
                    .col("issuer")
                    .col("subject")
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_sso_identities_user").table("sso_identities").col("user_id").take())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("sso_logins")
                    .col(uuid("id").primary_key())
                    .col(string_len("provider_id", 64))
                    // SHA-256 of the `state` sent to the provider.
                    .col(string_len("state_hash", 64).unique_key())
                    // SHA-256 of the secret in the browser's sign-in cookie.
                    .col(string_len("browser_hash", 64))
                    // The nonce and PKCE verifier, sealed with the server key.
                    .col(text("secrets"))
                    .col(string_len("next_path", 2048))
                    // Set when a signed-in person links another identity from settings.
                    .col(uuid_null("link_user_id"))
                    .col(big_integer("created_at"))
                    .col(big_integer("expires_at"))
                    .col(big_integer_null("used_at"))
                    .take(),
            )
            .await?;
        // Which provider a session came from, and the provider's session id (`sid`): so
        // signing out can offer the provider's sign-out, and a back-channel logout ends
        // exactly the sessions it names.
        let sessions = |col: ColumnDef| Table::alter().table("sessions").add_column(col).take();
        manager.alter_table(sessions(string_len_null("sso_provider_id", 64))).await?;
        manager.alter_table(sessions(string_len_null("sso_sid", 255))).await?;
        // password_and_sso or sso_only.
        manager
            .alter_table(
                Table::alter()
                    .table("workspaces")
                    .add_column(string_len("sign_in_policy", 20).default("password_and_sso"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("workspaces").drop_column("sign_in_policy").take()).await?;
        for col in ["sso_provider_id", "sso_sid"] {
            manager.alter_table(Table::alter().table("sessions").drop_column(col).take()).await?;
        }
        for table in ["sso_logins", "sso_identities"] {
            manager.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}
