//! `parley admin …` verbs for what the dashboard does: people, workspaces, retention and
//! compliance export. They work on the database directly (a server need not run), except
//! that a retention run or an export is a task a running server carries out: the command
//! writes it and follows its progress with a bar.
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;
use uuid::Uuid;

use super::people::{list, PeopleQuery};
use super::tasks::{self, TaskView};
use crate::accounts::service as accounts;
use crate::db::Db;
use crate::error::AppError;
use crate::settings::Settings;

#[derive(Subcommand)]
pub enum Verb {
    /// List people: username, name, e-mail, role, status, last active.
    People {
        /// Part of a name, username or e-mail address.
        #[arg(long)]
        q: Option<String>,
        /// admin, member or bot.
        #[arg(long)]
        role: Option<String>,
        /// active or deactivated.
        #[arg(long)]
        status: Option<String>,
    },
    /// Deactivate an account: its sessions, tokens and sockets end at once.
    Deactivate {
        #[arg(long)]
        email: String,
    },
    /// Reactivate an account.
    Reactivate {
        #[arg(long)]
        email: String,
    },
    /// Every workspace with its members, channels and stored bytes.
    Workspaces,
    /// Set how long a workspace keeps messages (and their files).
    Retention {
        /// The workspace's slug or id.
        #[arg(long)]
        workspace: String,
        /// Days to keep; leave out with --forever.
        #[arg(long)]
        days: Option<i32>,
        #[arg(long, conflicts_with = "days")]
        forever: bool,
    },
    /// Apply the retention policies now (a running server does it; this follows it).
    RetentionRun,
    /// Export every message of a workspace, channel or person as JSON Lines into --out.
    Export {
        /// workspace, channel or person.
        #[arg(long)]
        scope: String,
        /// The workspace's, channel's or person's id.
        #[arg(long)]
        id: Uuid,
        /// From this day or time on (YYYY-MM-DD or RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Before this day or time.
        #[arg(long)]
        until: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
}

fn app(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

pub async fn run(settings: &Settings, db: &Db, verb: Verb) -> anyhow::Result<()> {
    match verb {
        Verb::People { q, role, status } => {
            let query = PeopleQuery { q, role, status, sso: None, limit: Some(1000), offset: None };
            for u in list(&db.conn, &query).await.map_err(app)? {
                let role = if u.is_bot {
                    "bot"
                } else if u.is_admin {
                    "admin"
                } else {
                    "member"
                };
                let status = if u.deactivated_at.is_some() { "deactivated" } else { "active" };
                let last = u.last_active_at.map_or_else(|| "never".to_owned(), crate::clock::rfc3339);
                println!("{}\t{}\t{}\t{role}\t{status}\t{last}", u.username, u.display_name, u.email);
            }
        }
        Verb::Deactivate { email } => switch(settings, db, &email, false).await?,
        Verb::Reactivate { email } => switch(settings, db, &email, true).await?,
        Verb::Workspaces => {
            for w in super::workspaces::list(db).await.map_err(app)? {
                println!(
                    "{}\t{}\t{} members\t{} channels\t{} bytes\t{}",
                    w.slug, w.name, w.member_count, w.channel_count, w.stored_bytes, w.id
                );
            }
        }
        Verb::Retention { workspace, days, forever } => {
            if days.is_none() && !forever {
                anyhow::bail!("give --days N or --forever");
            }
            let ws = find_workspace(db, &workspace).await?;
            super::retention::set_workspace(db, None, ws, days).await.map_err(app)?;
            println!(
                "{workspace}: {}",
                days.map_or("messages kept forever".into(), |d| format!("messages kept {d} days"))
            );
        }
        Verb::RetentionRun => {
            let task = super::retention::start(db, None).await.map_err(app)?;
            let done = follow(db, task.id).await?;
            println!("{} messages deleted", done.result.as_ref().map_or(0, |r| r["deleted"].as_u64().unwrap_or(0)));
        }
        Verb::Export { scope, id, since, until, out } => {
            let request = super::export::ExportRequest { scope, id, since, until };
            super::export::check(db, &request).await.map_err(app)?;
            let params = serde_json::to_value(&request)?;
            let task = tasks::start(db, None, tasks::COMPLIANCE_EXPORT, params).await.map_err(app)?;
            let done = follow(db, task.id).await?;
            let result = done.result.ok_or_else(|| anyhow::anyhow!("the export left no file"))?;
            let blobs = crate::blobs::from_settings(settings)?;
            let bytes = blobs
                .read(&super::export::file_key(task.id), u64::MAX)
                .await
                .map_err(|e| anyhow::anyhow!("reading the export: {e}"))?;
            std::fs::write(&out, bytes)?;
            println!("{} messages written to {} (SHA-256 {})", result["messages"], out.display(), result["sha256"]);
        }
    }
    Ok(())
}

async fn switch(settings: &Settings, db: &Db, email: &str, active: bool) -> anyhow::Result<()> {
    let u = accounts::find_by_email(&db.conn, email).await.map_err(app)?;
    let u = u.ok_or_else(|| anyhow::anyhow!("no account with e-mail {email}"))?;
    let tx = db.write().await?;
    crate::accounts::activation::switch(&tx, settings, u.id, active, None).await.map_err(app)?;
    tx.commit().await.map_err(app)?;
    println!("{} {}", u.email, if active { "reactivated" } else { "deactivated: sessions, tokens and sockets ended" });
    Ok(())
}

async fn find_workspace(db: &Db, slug_or_id: &str) -> anyhow::Result<Uuid> {
    use crate::workspaces::model::workspace;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    if let Ok(id) = slug_or_id.parse::<Uuid>() {
        return Ok(id);
    }
    let found = workspace::Entity::find().filter(workspace::Column::Slug.eq(slug_or_id)).one(&db.conn).await?;
    found.map(|w| w.id).ok_or_else(|| anyhow::anyhow!("no workspace {slug_or_id}"))
}

/// Follows a task with a progress bar on stderr until it finishes.
async fn follow(db: &Db, id: Uuid) -> anyhow::Result<TaskView> {
    let mut said_waiting = false;
    loop {
        let t = TaskView::from(tasks::get(&db.conn, id).await.map_err(app)?);
        let mut err = std::io::stderr().lock();
        match t.state.as_str() {
            "done" => {
                let _ = writeln!(err, "\r[{}] {}/{}      ", "#".repeat(30), t.done, t.total);
                return Ok(t);
            }
            "failed" => anyhow::bail!("the task failed: {}", t.error.unwrap_or_default()),
            "queued" if !said_waiting => {
                let _ = writeln!(err, "waiting for a running Parley server to take the task …");
                said_waiting = true;
            }
            _ => {
                let filled = usize::from(t.percent) * 30 / 100;
                let _ = write!(err, "\r[{}{}] {}/{} ", "#".repeat(filled), "-".repeat(30 - filled), t.done, t.total);
                let _ = err.flush();
            }
        }
        drop(err);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
