//! Writing documents into the embedded index, batched: SQLite's doc rows and their two
//! FTS5 tables, PostgreSQL's one row per message.
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

use super::sql::Sql;
use super::text::space_cjk;
use super::Doc;

/// Documents per statement: nine values each stays far below both databases' limits.
pub const CHUNK: usize = 200;

pub async fn upsert_pg(conn: &impl ConnectionTrait, docs: &[Doc]) -> anyhow::Result<()> {
    let mut sql = Sql::new(true);
    sql.push("INSERT INTO search_docs (message_id, workspace_id, channel_id, author_id, created_at, is_thread, has_file, has_link, text) VALUES ");
    for (i, doc) in docs.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(doc.message_id).push(", ").bind(doc.workspace_id).push(", ").bind(doc.channel_id).push(", ");
        sql.bind(doc.author_id).push(", ").bind(doc.created_at).push(", ").bind(doc.is_thread).push(", ");
        sql.bind(doc.has_file).push(", ").bind(doc.has_link).push(", ").bind(doc.full_text()).push(")");
    }
    sql.push(" ON CONFLICT (message_id) DO UPDATE SET channel_id = EXCLUDED.channel_id, is_thread = EXCLUDED.is_thread, has_file = EXCLUDED.has_file, has_link = EXCLUDED.has_link, text = EXCLUDED.text");
    conn.execute_raw(sql.statement()).await?;
    Ok(())
}

/// Replaces the documents of `docs` (one batch, inside the caller's write transaction):
/// old rows out, new rows in with ids assigned here, and their text into both FTS tables
/// with one multi-row statement each.
pub async fn upsert_sqlite(conn: &impl ConnectionTrait, docs: &[Doc]) -> anyhow::Result<()> {
    let ids: Vec<Uuid> = docs.iter().map(|d| d.message_id).collect();
    let mut find = Sql::new(false);
    find.push("SELECT id FROM search_docs WHERE message_id IN ").bind_list(&ids);
    let mut old: Vec<i64> = Vec::new();
    for row in conn.query_all_raw(find.statement()).await? {
        old.push(row.try_get_by_index(0)?);
    }
    delete_sqlite_rows(conn, &old).await?;
    let next = Statement::from_string(DbBackend::Sqlite, "SELECT COALESCE(MAX(id), 0) + 1 FROM search_docs");
    let first: i64 = match conn.query_one_raw(next).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => 1,
    };
    let mut sql = Sql::new(false);
    sql.push("INSERT INTO search_docs (id, message_id, workspace_id, channel_id, author_id, created_at, is_thread, has_file, has_link) VALUES ");
    for (i, doc) in docs.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(first + i as i64).push(", ").bind(doc.message_id).push(", ").bind(doc.workspace_id).push(", ");
        sql.bind(doc.channel_id).push(", ").bind(doc.author_id).push(", ").bind(doc.created_at).push(", ");
        sql.bind(doc.is_thread).push(", ").bind(doc.has_file).push(", ").bind(doc.has_link).push(")");
    }
    conn.execute_raw(sql.statement()).await?;
    for (table, cjk_spaced) in [("search_grams", false), ("search_words", true)] {
        let mut sql = Sql::new(false);
        sql.push(&format!("INSERT INTO {table} (rowid, text) VALUES "));
        for (i, doc) in docs.iter().enumerate() {
            let text = if cjk_spaced { space_cjk(&doc.full_text()) } else { doc.full_text() };
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(first + i as i64).push(", ").bind(text).push(")");
        }
        conn.execute_raw(sql.statement()).await?;
    }
    Ok(())
}

async fn delete_sqlite_rows(conn: &impl ConnectionTrait, ids: &[i64]) -> anyhow::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    for (table, key) in [("search_grams", "rowid"), ("search_words", "rowid"), ("search_docs", "id")] {
        let mut sql = Sql::new(false);
        sql.push(&format!("DELETE FROM {table} WHERE {key} IN ("));
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*id);
        }
        sql.push(")");
        conn.execute_raw(sql.statement()).await?;
    }
    Ok(())
}

pub async fn remove_sqlite(conn: &impl ConnectionTrait, message_id: Uuid) -> anyhow::Result<()> {
    let find = Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "SELECT id FROM search_docs WHERE message_id = ?",
        [message_id.into()],
    );
    let Some(row) = conn.query_one_raw(find).await? else { return Ok(()) };
    let id: i64 = row.try_get_by_index(0)?;
    delete_sqlite_rows(conn, &[id]).await
}
