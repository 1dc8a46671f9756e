//! Builds the application from Settings, binds, runs until SIGTERM/SIGINT, then
//! drains in-flight requests and stops the job worker.
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpServer};
use tokio::sync::watch;

use crate::auth::throttle::LoginThrottle;
use crate::db::Db;
use crate::jobs::{worker, JobRegistry};
use crate::ops::{observe, prometheus};
use crate::settings::Settings;
use crate::state::AppState;

pub struct Application {
    pub state: AppState,
    pub port: u16,
    server: Server,
    /// Printed at start-up while the instance has no users.
    pub setup_link: Option<String>,
}

impl Application {
    /// Connects and migrates the database, then binds (port 0 picks a free port).
    pub async fn build(settings: Settings, jobs: JobRegistry) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.server.bind)?;
        Self::build_on(listener, settings, jobs).await
    }

    /// Like `build`, on a listener the caller has bound already.
    pub async fn build_on(listener: TcpListener, settings: Settings, jobs: JobRegistry) -> anyhow::Result<Self> {
        let url = settings.database_url();
        if url.starts_with("sqlite:") {
            std::fs::create_dir_all(&settings.server.data_dir)?;
        }
        let db = Db::connect(&url, settings.database.max_connections, settings.database.sqlite_synchronous).await?;
        db.migrate().await?;
        let state = AppState {
            db,
            login_throttle: Arc::new(LoginThrottle::new(
                settings.auth.login_attempts_per_ip_per_minute,
                settings.auth.login_attempts_per_account_per_minute,
            )),
            jobs: Arc::new(jobs),
            setup_token: Arc::new(std::sync::Mutex::new(None)),
            metrics: prometheus::handle(),
            settings: Arc::new(settings),
        };
        let setup_link = crate::auth::setup::prepare(&state).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let port = listener.local_addr()?.port();
        let server = serve(listener, state.clone())?;
        Ok(Self { state, port, server, setup_link })
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped (signal or handle), then stops the worker.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let worker = tokio::spawn(worker::run(self.state.clone(), stop_rx));
        let throttle = self.state.login_throttle.clone();
        let pruner = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                throttle.prune();
            }
        });
        let result = self.server.await;
        let _ = stop_tx.send(true);
        pruner.abort();
        let _ = worker.await;
        result.map_err(Into::into)
    }
}

fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let max_json = state.settings.server.max_json_bytes;
    let shutdown_timeout = state.settings.server.shutdown_timeout_s;
    let workers = state.settings.server.workers;
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(Compress::default())
            .wrap(from_fn(observe::observe))
            .app_data(data.clone())
            .configure(|cfg| crate::api::configure(cfg, max_json))
    })
    .shutdown_timeout(shutdown_timeout);
    let server = if workers > 0 { server.workers(workers) } else { server };
    let server = server.listen(listener)?.run();
    Ok(server)
}
