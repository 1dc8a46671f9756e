//! `database.statement_stats`: how often each SQL statement ran and how long it took,
//! written to the log when the server stops — the table docs/PERFORMANCE.md is built from.
//! Off by default: it takes a lock per statement.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::DatabaseConnection;

#[derive(Default)]
struct Tally {
    count: u64,
    total: Duration,
}

#[derive(Default)]
pub struct StatementStats {
    by_sql: Mutex<HashMap<String, Tally>>,
}

impl StatementStats {
    /// Counts every statement `conn` (and every clone made from it afterwards) runs.
    pub fn install(conn: &mut DatabaseConnection) -> Arc<Self> {
        let stats = Arc::new(Self::default());
        let sink = stats.clone();
        conn.set_metric_callback(move |info| {
            if let Ok(mut by_sql) = sink.by_sql.lock() {
                let tally = by_sql.entry(info.statement.sql.clone()).or_default();
                tally.count += 1;
                tally.total += info.elapsed;
            }
        });
        stats
    }

    /// The `limit` statements that took the most time in all: (sql, count, total).
    pub fn top(&self, limit: usize) -> Vec<(String, u64, Duration)> {
        let Ok(by_sql) = self.by_sql.lock() else { return Vec::new() };
        let mut rows: Vec<_> = by_sql.iter().map(|(sql, t)| (sql.clone(), t.count, t.total)).collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.2));
        rows.truncate(limit);
        rows
    }

    pub fn log(&self) {
        let statements: u64 = self.by_sql.lock().map(|by_sql| by_sql.values().map(|t| t.count).sum()).unwrap_or(0);
        tracing::info!(statements, "statement statistics: every statement run, then the 40 that took most time");
        let rows = self.top(40);
        for (sql, count, total) in rows {
            let mean_us = total.as_micros() / u128::from(count.max(1));
            tracing::info!(count, total_ms = total.as_millis() as u64, mean_us = mean_us as u64, sql = %sql, "statement");
        }
    }
}
