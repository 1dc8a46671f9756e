//! `users.auth_version`: bumped, by triggers, whenever one of a person's sessions or API
//! tokens is deleted, cut short or changed. Nodes cache "credential → person" and trust
//! an entry only while the person's row still carries the version it was loaded with, so a
//! logout or a revoked token takes effect at once on every node, whichever code path (or
//! `parley admin`, or psql) made the change.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &[&str] = &[
    "CREATE TRIGGER auth_session_deleted AFTER DELETE ON sessions BEGIN \
     UPDATE users SET auth_version = auth_version + 1 WHERE id = OLD.user_id; END",
    "CREATE TRIGGER auth_session_cut AFTER UPDATE OF expires_at, user_id, token_hash ON sessions \
     WHEN NEW.expires_at < OLD.expires_at OR NEW.user_id IS NOT OLD.user_id OR NEW.token_hash IS NOT OLD.token_hash \
     BEGIN UPDATE users SET auth_version = auth_version + 1 WHERE id IN (OLD.user_id, NEW.user_id); END",
    "CREATE TRIGGER auth_token_deleted AFTER DELETE ON api_tokens BEGIN \
     UPDATE users SET auth_version = auth_version + 1 WHERE id = OLD.user_id; END",
    "CREATE TRIGGER auth_token_changed AFTER UPDATE OF expires_at, scopes, user_id, token_hash ON api_tokens BEGIN \
     UPDATE users SET auth_version = auth_version + 1 WHERE id IN (OLD.user_id, NEW.user_id); END",
];

const POSTGRES: &[&str] = &[
    "CREATE FUNCTION parley_bump_auth_version() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF TG_OP = 'DELETE' THEN \
         UPDATE users SET auth_version = auth_version + 1 WHERE id = OLD.user_id; \
       ELSE \
         UPDATE users SET auth_version = auth_version + 1 WHERE id IN (OLD.user_id, NEW.user_id); \
       END IF; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER auth_session_deleted AFTER DELETE ON sessions \
     FOR EACH ROW EXECUTE FUNCTION parley_bump_auth_version()",
    "CREATE TRIGGER auth_session_cut AFTER UPDATE OF expires_at, user_id, token_hash ON sessions FOR EACH ROW \
     WHEN (NEW.expires_at < OLD.expires_at OR NEW.user_id IS DISTINCT FROM OLD.user_id \
           OR NEW.token_hash IS DISTINCT FROM OLD.token_hash) \
     EXECUTE FUNCTION parley_bump_auth_version()",
    "CREATE TRIGGER auth_token_deleted AFTER DELETE ON api_tokens \
     FOR EACH ROW EXECUTE FUNCTION parley_bump_auth_version()",
    "CREATE TRIGGER auth_token_changed AFTER UPDATE OF expires_at, scopes, user_id, token_hash ON api_tokens \
     FOR EACH ROW EXECUTE FUNCTION parley_bump_auth_version()",
];

const TRIGGERS: &[(&str, &str)] = &[
    ("auth_session_deleted", "sessions"),
    ("auth_session_cut", "sessions"),
    ("auth_token_deleted", "api_tokens"),
    ("auth_token_changed", "api_tokens"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("users").add_column(big_integer("auth_version").default(0)).take())
            .await?;
        let db = manager.get_connection();
        let statements = if db.get_database_backend() == DbBackend::Postgres { POSTGRES } else { SQLITE };
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        for (trigger, table) in TRIGGERS {
            let on = if postgres { format!(" ON {table}") } else { String::new() };
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {trigger}{on}")).await?;
        }
        if postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS parley_bump_auth_version()").await?;
        }
        manager.alter_table(Table::alter().table("users").drop_column("auth_version").take()).await
    }
}
