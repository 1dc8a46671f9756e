//! PostgreSQL: the words of the embedded search index, for typo tolerance. A query word
//! also matches vocabulary words an edit or two away, as substrings like the word itself;
//! before, pg_trgm's word similarity was tested on every row a search passed, which bound
//! every plan. SQLite already has its vocabulary (an fts5vocab table of the same name).
//! Partial indexes by time for documents with a link, a file, or in a thread: a search
//! with `has:` or `is:` walks only those. An existing index's words are read once here.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "CREATE TABLE search_vocab (term TEXT COLLATE \"C\" PRIMARY KEY)",
    "INSERT INTO search_vocab (term) SELECT DISTINCT w FROM search_docs, unnest(tsvector_to_array(tsv)) w \
     WHERE char_length(w) BETWEEN 3 AND 40 ON CONFLICT DO NOTHING",
    "CREATE INDEX idx_search_docs_link_time ON search_docs (created_at) WHERE has_link",
    "CREATE INDEX idx_search_docs_file_time ON search_docs (created_at) WHERE has_file",
    "CREATE INDEX idx_search_docs_thread_time ON search_docs (created_at) WHERE is_thread",
];

const DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS idx_search_docs_thread_time",
    "DROP INDEX IF EXISTS idx_search_docs_file_time",
    "DROP INDEX IF EXISTS idx_search_docs_link_time",
    "DROP TABLE IF EXISTS search_vocab",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, DOWN).await
    }
}

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if db.get_database_backend() == DbBackend::Postgres {
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
    }
    Ok(())
}
