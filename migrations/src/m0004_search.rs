//! The embedded search index. Each backend keeps one `search_docs` row per indexed
//! message (what the filters need) plus its own text index:
//! - SQLite: two contentless FTS5 tables keyed by the doc's rowid — `trigram` for any
//!   substring of three or more characters, and `unicode61` over text whose CJK
//!   characters are spaced apart, for short words and CJK words of one or two characters.
//! - PostgreSQL: the text in the row, a `simple` tsvector and a pg_trgm GIN index.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &[&str] = &[
    "CREATE TABLE search_docs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id BLOB NOT NULL UNIQUE,
        workspace_id BLOB NOT NULL,
        channel_id BLOB NOT NULL,
        author_id BLOB NOT NULL,
        created_at BIGINT NOT NULL,
        is_thread BOOLEAN NOT NULL,
        has_file BOOLEAN NOT NULL,
        has_link BOOLEAN NOT NULL)",
    "CREATE INDEX idx_search_docs_channel_time ON search_docs (channel_id, created_at)",
    "CREATE INDEX idx_search_docs_time ON search_docs (created_at)",
    "CREATE VIRTUAL TABLE search_grams USING fts5(text, tokenize = 'trigram remove_diacritics 1', content = '', contentless_delete = 1)",
    "CREATE VIRTUAL TABLE search_words USING fts5(text, tokenize = 'unicode61 remove_diacritics 2', content = '', contentless_delete = 1)",
    "CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_words, row)",
];

const POSTGRES: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE TABLE search_docs (
        message_id UUID PRIMARY KEY,
        workspace_id UUID NOT NULL,
        channel_id UUID NOT NULL,
        author_id UUID NOT NULL,
        created_at BIGINT NOT NULL,
        is_thread BOOLEAN NOT NULL,
        has_file BOOLEAN NOT NULL,
        has_link BOOLEAN NOT NULL,
        text TEXT NOT NULL,
        tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED)",
    "CREATE INDEX idx_search_docs_channel_time ON search_docs (channel_id, created_at)",
    "CREATE INDEX idx_search_docs_time ON search_docs (created_at)",
    "CREATE INDEX idx_search_docs_tsv ON search_docs USING GIN (tsv)",
    "CREATE INDEX idx_search_docs_trgm ON search_docs USING GIN (text gin_trgm_ops)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements = if db.get_database_backend() == DbBackend::Postgres { POSTGRES } else { SQLITE };
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in ["search_vocab", "search_words", "search_grams", "search_docs"] {
            if db.get_database_backend() == DbBackend::Postgres && table != "search_docs" {
                continue;
            }
            db.execute_unprepared(&format!("DROP TABLE IF EXISTS {table}")).await?;
        }
        Ok(())
    }
}
