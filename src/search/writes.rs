//! Writing documents into the embedded index, batched: SQLite's doc rows and their two
//! FTS5 tables, PostgreSQL's one row per message.
use std::collections::{HashMap, HashSet};

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

/// Document keys on SQLite are the message's time in milliseconds, so both FTS5 tables
/// list a term's matches in time order: a search walks them newest first and stops after
/// a page, instead of collecting every match of a common word. A key already taken
/// moves to the next free millisecond, so a key never precedes its message's time and
/// follows it by at most `KEY_SLACK` (a burst of that many messages in one millisecond).
/// Milliseconds, not a finer key, because FTS5 stores the gaps between keys: a wider key
/// made the index half as large again.
pub const KEY_SLACK: i64 = 1 << 20;

/// The key of a message created at `ms` when nothing else holds it.
pub fn time_key(ms: i64) -> i64 {
    ms.max(0)
}

/// Keys for `docs`, none taken by another document.
async fn assign_keys(conn: &impl ConnectionTrait, docs: &[Doc]) -> anyhow::Result<Vec<i64>> {
    let wanted: Vec<i64> = docs.iter().map(|d| time_key(d.created_at)).collect();
    let mut find = Sql::new(false);
    find.push("SELECT id FROM search_docs WHERE id IN ").bind_list(&wanted);
    let mut held = HashSet::new();
    for row in conn.query_all_raw(find.statement()).await? {
        held.insert(row.try_get_by_index::<i64>(0)?);
    }
    let mut keys = Vec::with_capacity(docs.len());
    let mut assigned = HashSet::with_capacity(docs.len());
    // Where the last document of each millisecond taken went: the next starts after it.
    let mut moved_to: HashMap<i64, i64> = HashMap::new();
    for &time in &wanted {
        let mut key = time;
        if held.contains(&key) || assigned.contains(&key) {
            let from = moved_to.get(&time).map_or(time, |k| k + 1);
            key = first_free(conn, from, &assigned).await?;
            moved_to.insert(time, key);
        }
        assigned.insert(key);
        keys.push(key);
    }
    Ok(keys)
}

/// The first key from `from` on that no document holds and this batch has not assigned.
async fn first_free(conn: &impl ConnectionTrait, mut from: i64, assigned: &HashSet<i64>) -> anyhow::Result<i64> {
    const RUN: usize = 256;
    loop {
        let stmt = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!("SELECT id FROM search_docs WHERE id >= ? ORDER BY id LIMIT {RUN}"),
            [from.into()],
        );
        let mut held = HashSet::with_capacity(RUN);
        for row in conn.query_all_raw(stmt).await? {
            held.insert(row.try_get_by_index::<i64>(0)?);
        }
        let last = held.iter().copied().max().unwrap_or(from);
        while from <= last || assigned.contains(&from) {
            if !held.contains(&from) && !assigned.contains(&from) {
                return Ok(from);
            }
            from += 1;
        }
        if held.len() < RUN {
            return Ok(from);
        }
    }
}

/// Replaces the documents of `docs` (one batch, inside the caller's write transaction):
/// old rows out, new rows in under their time keys, and their text into both FTS tables
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
    let keys = assign_keys(conn, docs).await?;
    let mut sql = Sql::new(false);
    sql.push("INSERT INTO search_docs (id, message_id, workspace_id, channel_id, author_id, created_at, is_thread, has_file, has_link) VALUES ");
    for (i, (doc, key)) in docs.iter().zip(&keys).enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(*key).push(", ").bind(doc.message_id).push(", ").bind(doc.workspace_id).push(", ");
        sql.bind(doc.channel_id).push(", ").bind(doc.author_id).push(", ").bind(doc.created_at).push(", ");
        sql.bind(doc.is_thread).push(", ").bind(doc.has_file).push(", ").bind(doc.has_link).push(")");
    }
    conn.execute_raw(sql.statement()).await?;
    for (table, cjk_spaced) in [("search_grams", false), ("search_words", true)] {
        let mut sql = Sql::new(false);
        sql.push(&format!("INSERT INTO {table} (rowid, text) VALUES "));
        for (i, (doc, key)) in docs.iter().zip(&keys).enumerate() {
            let text = if cjk_spaced { space_cjk(&doc.full_text()) } else { doc.full_text() };
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(*key).push(", ").bind(text).push(")");
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
        sql.push(&format!("DELETE FROM {table} WHERE {key} IN ")).bind_list(ids);
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
