//! PostgreSQL: the words of the embedded search index, for typo tolerance. A query word
//! also matches vocabulary words an edit or two away, as substrings like the word itself;
//! before, pg_trgm's word similarity was tested on every row a search passed, which bound
//! every plan. SQLite already has its vocabulary (an fts5vocab table of the same name).
//! Partial indexes by time for documents with a link, a file, or in a thread: a search
//! with `has:` or `is:` walks only those; and one of the CJK characters of documents
//! that have any. An existing index's words are read once here.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Characters of scripts written without spaces (src/search/text.rs, `is_cjk`; the same
/// class as src/search/pg_match.rs, character for character, or the index goes unused).
const CJK: &str =
    "[\u{3040}-\u{30ff}\u{3400}-\u{4dbf}\u{4e00}-\u{9fff}\u{ac00}-\u{d7af}\u{f900}-\u{faff}\u{ff66}-\u{ff9f}]";

fn up() -> Vec<String> {
    vec![
        "CREATE TABLE search_vocab (term TEXT COLLATE \"C\" PRIMARY KEY)".into(),
        // The words of src/search/vocabulary.rs: runs of letters and digits, 3 to 40
        // long, no CJK (≈ 14 s at a million messages).
        format!(
            "INSERT INTO search_vocab (term) SELECT DISTINCT w FROM search_docs, \
             regexp_split_to_table(lower(text), '[^[:alnum:]]+') w \
             WHERE char_length(w) BETWEEN 3 AND 40 AND w !~ '{CJK}' ON CONFLICT DO NOTHING"
        ),
        // CJK words of one or two characters have no trigram: documents with CJK text get
        // a tsvector of their characters spaced apart (≈ 1 s at a million messages).
        format!(
            "CREATE INDEX idx_search_docs_cjk ON search_docs USING GIN \
             (to_tsvector('simple', regexp_replace(text, '({CJK})', ' \\1 ', 'g'))) WHERE text ~ '{CJK}'"
        ),
        "CREATE INDEX idx_search_docs_link_time ON search_docs (created_at) WHERE has_link".into(),
        "CREATE INDEX idx_search_docs_file_time ON search_docs (created_at) WHERE has_file".into(),
        "CREATE INDEX idx_search_docs_thread_time ON search_docs (created_at) WHERE is_thread".into(),
    ]
}

const DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS idx_search_docs_cjk",
    "DROP INDEX IF EXISTS idx_search_docs_thread_time",
    "DROP INDEX IF EXISTS idx_search_docs_file_time",
    "DROP INDEX IF EXISTS idx_search_docs_link_time",
    "DROP TABLE IF EXISTS search_vocab",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, &up()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let down: Vec<String> = DOWN.iter().map(|s| (*s).to_owned()).collect();
        run(manager, &down).await
    }
}

async fn run(manager: &SchemaManager<'_>, statements: &[String]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if db.get_database_backend() == DbBackend::Postgres {
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
    }
    Ok(())
}
