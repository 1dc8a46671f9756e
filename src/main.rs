//! The `parley` command: serve, migrate, and administration.
#![deny(clippy::unwrap_used, clippy::expect_used)]
use std::io::BufRead;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use parley::accounts::service::{self as accounts, NewUser};
use parley::auth::{secret_token, sessions};
use parley::db::Db;
use parley::jobs::JobRegistry;
use parley::settings::Settings;
use parley::startup::Application;

#[derive(Parser)]
#[command(name = "parley", version, about = "Self-hosted team chat server")]
struct Cli {
    /// A TOML file layered over the embedded defaults (PARLEY_* variables override both).
    #[arg(long, global = true, env = "PARLEY_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (applies pending migrations first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Rebuild the search index from the database (safe while the server runs).
    Reindex,
    /// Copy an embedded install (SQLite and local files) into DIR while it serves: a
    /// consistent database snapshot, the files, the key, and a manifest of checksums.
    Backup { dir: PathBuf },
    /// Restore a backup made by `parley backup` into this configuration's empty install.
    Restore { dir: PathBuf },
    /// Administration: accounts, workspaces, retention, compliance export.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an account. Without --password-stdin a random password is printed.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        username: Option<String>,
        /// Make the account an instance administrator.
        #[arg(long)]
        admin: bool,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Fill an empty instance with synthetic people, channels and API tokens for
    /// parley-loadgen (`--seed FILE`). For throwaway load-test instances only.
    SeedLoad {
        #[arg(long, default_value_t = 1000)]
        users: usize,
        #[arg(long, default_value_t = 20)]
        channels: usize,
        /// Where to write the people, their channels and their API tokens (JSON).
        #[arg(long)]
        out: PathBuf,
    },
    /// Benchmark search: fill an empty instance with a realistic corpus, index it and
    /// time queries of several kinds. For throwaway instances only.
    SearchBench {
        #[arg(long, default_value_t = 1_000_000)]
        messages: usize,
        #[arg(long, default_value_t = 200)]
        channels: usize,
        #[arg(long, default_value_t = 500)]
        users: usize,
        /// Queries timed per kind and sort order.
        #[arg(long, default_value_t = 40)]
        queries: usize,
        /// Only time the queries, on an instance an earlier run filled (nothing written).
        #[arg(long)]
        queries_only: bool,
    },
    #[command(flatten)]
    Manage(parley::admin::cli::Verb),
    /// Set a new password and end the account's sessions.
    ResetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

fn password_from(stdin: bool) -> anyhow::Result<(String, bool)> {
    if stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok((line.trim_end_matches(['\r', '\n']).to_owned(), false))
    } else {
        Ok((secret_token::generate("").chars().take(20).collect(), true))
    }
}

async fn open_db(settings: &Settings) -> anyhow::Result<Db> {
    let url = settings.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&settings.server.data_dir)?;
    }
    let db = Db::connect(&url, 2, settings.database.sqlite_synchronous).await?;
    db.migrate().await?;
    parley::webhooks::outgoing::fanout::note_stored_hooks(&db).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(db)
}

async fn admin(settings: Settings, command: AdminCommand) -> anyhow::Result<()> {
    let db = open_db(&settings).await?;
    let app_err = |e: parley::error::AppError| anyhow::anyhow!("{e}");
    match command {
        AdminCommand::CreateUser { email, name, username, admin, password_stdin } => {
            let (password, generated) = password_from(password_stdin)?;
            let prepared = accounts::prepare(
                NewUser { email, username, display_name: name, password: Some(password.clone()), is_admin: admin },
                settings.limits.name_chars,
            )
            .await
            .map_err(app_err)?;
            let tx = db.write().await?;
            let user = accounts::insert(&*tx, prepared).await.map_err(app_err)?;
            tx.commit().await?;
            println!(
                "created {} (@{}, id {}){}",
                user.email,
                user.username,
                user.id,
                if admin { ", administrator" } else { "" }
            );
            if generated {
                println!("password: {password}");
            }
        }
        AdminCommand::ResetPassword { email, password_stdin } => {
            let user = accounts::find_by_email(&db.conn, &email).await.map_err(app_err)?;
            let user = user.ok_or_else(|| anyhow::anyhow!("no account with e-mail {email}"))?;
            let (password, generated) = password_from(password_stdin)?;
            let hash = accounts::hash_new_password(&user, password.clone()).await.map_err(app_err)?;
            accounts::set_password_hash(&db.conn, user.id, hash).await.map_err(app_err)?;
            let ended = sessions::delete_all_for_user(&db.conn, user.id, None).await.map_err(app_err)?;
            println!("password reset for {}; {ended} session(s) ended", user.email);
            if generated {
                println!("password: {password}");
            }
        }
        AdminCommand::SearchBench { messages, channels, users, queries, queries_only } => {
            let opts = parley::search::bench::Options { messages, channels, users, queries, queries_only };
            println!(
                "{}",
                parley::search::bench::run(&db, parley::search::open(&db, &settings.search)?.as_ref(), opts).await?
            );
        }
        AdminCommand::Manage(verb) => parley::admin::cli::run(&settings, &db, verb).await?,
        AdminCommand::SeedLoad { users, channels, out } => {
            let started = std::time::Instant::now();
            let seeded =
                parley::loadseed::seed(&db, users, channels, LOAD_PASSWORD, settings.limits.name_chars).await?;
            std::fs::write(&out, serde_json::to_vec(&seeded)?)?;
            println!(
                "seeded {users} people and {channels} channels in {:.1} s; tokens written to {}",
                started.elapsed().as_secs_f64(),
                out.display()
            );
        }
    }
    Ok(())
}

/// Every seeded person's password (the seed is for load tests on a throwaway instance).
const LOAD_PASSWORD: &str = "load-generator password";

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings, JobRegistry::default()).await?;
    let site = app.state.settings.server.site_url.clone();
    tracing::info!(port = app.port, "listening on {}", app.state.settings.server.bind);
    println!("Parley is running: open {site}");
    if let Some(link) = &app.setup_link {
        println!("First run: create the administrator account at {link}");
    }
    app.run_until_stopped().await
}

/// glibc raises its mmap threshold to the size of the largest freed block, after which
/// every argon2 hash (19 MiB) comes from the heap and stays resident: measured +19 MB of
/// RSS per sign-in. A fixed threshold keeps big blocks in mmap, returned on free.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator parameters; called once before any threads.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tune_allocator();
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref())?;
    parley::telemetry::init(&settings.log);
    match cli.command {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            open_db(&settings).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Admin { command } => admin(settings, command).await,
        Command::Backup { dir } => {
            let started = std::time::Instant::now();
            let m = tokio::task::spawn_blocking(move || parley::backup::create(&settings, &dir)).await??;
            let bytes = m.database.bytes + m.files.iter().map(|f| f.bytes).sum::<u64>();
            println!(
                "backed up {} messages and {} files ({:.1} MiB) in {:.1} s{}",
                m.messages,
                m.files.len(),
                bytes as f64 / 1_048_576.0,
                started.elapsed().as_secs_f64(),
                if m.missing_files.is_empty() {
                    String::new()
                } else {
                    format!("; {} files were deleted while copying (listed in the manifest)", m.missing_files.len())
                }
            );
            Ok(())
        }
        Command::Restore { dir } => {
            let m = tokio::task::spawn_blocking(move || parley::backup::restore(&settings, &dir)).await??;
            println!(
                "restored the backup of {} ({} messages, {} files); start the server to use it",
                m.created_at,
                m.messages,
                m.files.len()
            );
            Ok(())
        }
        Command::Reindex => {
            let db = open_db(&settings).await?;
            let index = parley::search::open(&db, &settings.search)?;
            let done = index.rebuild(parley::search::reindex::Progress::bar()).await?;
            println!(
                "indexed {} messages and removed {} stale documents in {:.1} s",
                done.indexed, done.removed, done.seconds
            );
            Ok(())
        }
    }
}
