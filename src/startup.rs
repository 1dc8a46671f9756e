//! Builds the application from Settings, binds, runs until SIGTERM/SIGINT, then
//! drains in-flight requests and stops the job worker.
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpServer};
use secrecy::ExposeSecret;
use tokio::sync::watch;

use crate::auth::throttle::LoginThrottle;
use crate::db::Db;
use crate::edge::connections::Connections;
use crate::jobs::{worker, JobRegistry};
use crate::ops::statement_stats::StatementStats;
use crate::ops::{observe, prometheus};
use crate::realtime::hub::close;
use crate::realtime::Realtime;
use crate::settings::Settings;
use crate::state::AppState;

pub struct Application {
    pub state: AppState,
    pub port: u16,
    server: Server,
    /// Printed at start-up while the instance has no users.
    pub setup_link: Option<String>,
    /// `database.statement_stats`: logged when the server stops.
    statement_stats: Option<Arc<StatementStats>>,
}

impl Application {
    /// Connects and migrates the database, then binds (port 0 picks a free port).
    pub async fn build(settings: Settings, jobs: JobRegistry) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.server.bind)?;
        set_backlog(&listener, settings.server.listen_backlog)?;
        Self::build_on(listener, settings, jobs).await
    }

    /// Like `build`, on a listener the caller has bound already.
    pub async fn build_on(listener: TcpListener, settings: Settings, mut jobs: JobRegistry) -> anyhow::Result<Self> {
        crate::files::jobs::register(&mut jobs);
        crate::search::jobs::register(&mut jobs);
        crate::slack_api::uploads::jobs::register(&mut jobs);
        crate::webhooks::outgoing::deliver::register(&mut jobs);
        crate::mail::outbox::register(&mut jobs);
        crate::notify::decide::register(&mut jobs);
        crate::auth::password_reset::register(&mut jobs);
        crate::admin::tasks::register(&mut jobs);
        let blobs = crate::blobs::from_settings(&settings)?;
        if let Err(e) = blobs.check().await {
            tracing::warn!(store = blobs.name(), error = %e, "file storage is not answering; uploads fail until it does");
        }
        let url = settings.database_url();
        if url.starts_with("sqlite:") {
            std::fs::create_dir_all(&settings.server.data_dir)?;
        }
        let mut db = Db::connect(&url, settings.database.max_connections, settings.database.sqlite_synchronous).await?;
        let statement_stats = settings.database.statement_stats.then(|| StatementStats::install(&mut db.conn));
        db.migrate().await?;
        let bus = crate::realtime::bus_from(&settings.realtime).await?;
        let db = db.with_bus(bus.clone());
        crate::webhooks::outgoing::fanout::note_stored_hooks(&db).await?;
        let realtime = Arc::new(Realtime::start(db.clone(), bus, &settings.realtime).await?);
        let search = crate::search::open(&db, &settings.search)?;
        crate::search::prepare(search.clone()).await;
        let state = AppState {
            db,
            search,
            login_throttle: Arc::new(LoginThrottle::new(
                settings.auth.login_attempts_per_ip_per_minute,
                settings.auth.login_attempts_per_account_per_minute,
            )),
            credentials: Arc::default(),
            jobs: Arc::new(jobs),
            realtime,
            blobs,
            setup_token: Arc::new(std::sync::Mutex::new(None)),
            metrics: prometheus::handle(),
            connections: Connections::new(
                settings.server.max_connections_per_ip,
                settings.server.trusted_proxies.clone(),
            ),
            sealer: Arc::new(crate::auth::sealed::Sealer::from_settings(
                settings.server.secret_key.expose_secret(),
                &settings.server.data_dir,
            )?),
            request_rate: Arc::new(crate::edge::request_rate::RequestRate::new(
                settings.server.requests_per_minute_per_credential,
                settings.server.requests_per_minute_per_address,
            )),
            hook_limiter: Arc::new(crate::webhooks::incoming::rate::HookLimiter::new(
                settings.integrations.hook_per_minute,
                settings.integrations.hook_burst,
            )),
            outbound: crate::outbound::Outbound::new(crate::outbound::Policy::new(
                &settings.integrations.allow_hosts,
                &settings.integrations.outbound_ports,
            ))?,
            mailer: Arc::from(crate::mail::transport::from_settings(&settings.email, &settings.server.data_dir)?),
            sso: crate::sso::provider::Providers::from_settings(&settings.sso, settings.site_base())?,
            settings: Arc::new(settings),
            started_at: std::time::Instant::now(),
            node_id: uuid::Uuid::now_v7(),
            faults: Arc::default(),
        };
        let setup_link = crate::auth::setup::prepare(&state).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let port = listener.local_addr()?.port();
        let server = serve(listener, state.clone())?;
        Ok(Self { state, port, server, setup_link, statement_stats })
    }

    /// Stops this node the way SIGTERM does (tests use it to simulate a restart).
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            server: self.server.handle(),
            realtime: self.state.realtime.clone(),
            connections: self.state.connections.clone(),
            limit: Duration::from_secs(self.state.settings.server.shutdown_timeout_s),
        }
    }

    /// Serves until SIGTERM/SIGINT or a ShutdownHandle, then stops the worker.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let workers: Vec<_> = self
            .state
            .jobs
            .lanes()
            .into_iter()
            .map(|lane| tokio::spawn(worker::run(self.state.clone(), lane, stop_rx.clone())))
            .collect();
        let housekeeping = tokio::spawn(housekeeping(self.state.clone()));
        let on_signal = self.shutdown_handle();
        let signals = tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutting down: closing sockets, draining requests");
            on_signal.shutdown().await;
        });
        let result = self.server.await;
        let _ = stop_tx.send(true);
        signals.abort();
        housekeeping.abort();
        for worker in workers {
            let _ = worker.await;
        }
        if let Some(stats) = &self.statement_stats {
            stats.log();
        }
        result.map_err(Into::into)
    }
}

#[derive(Clone)]
pub struct ShutdownHandle {
    server: ServerHandle,
    realtime: Arc<Realtime>,
    connections: Arc<Connections>,
    limit: Duration,
}

/// How long nothing must happen before the listener closes: requests already sent but
/// not yet read by a busy worker arrive at the handlers within this time.
const DRAIN_QUIET: Duration = Duration::from_millis(300);

impl ShutdownHandle {
    /// Drains, then stops. Every response from now on closes its connection, readiness
    /// fails and sockets close with "service restart" (clients resume on another node);
    /// requests keep being read and answered until a quiet moment. Only then the
    /// listener closes and the idle connections left are shut — so a request the client
    /// finished sending before the stop is answered, not dropped with its connection.
    pub async fn shutdown(&self) {
        let started = std::time::Instant::now();
        self.connections.start_draining();
        self.realtime.hub.close_all(close::SERVICE_RESTART, "service restart").await;
        self.connections.wait_quiet(DRAIN_QUIET, self.limit).await;
        let open = self.connections.open_connections();
        self.server.stop(true).await;
        tracing::info!(drain_ms = started.elapsed().as_millis() as u64, open_at_stop = open, "stopped");
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Periodic upkeep: forget old login failures, prune the event log past retention,
/// give freed memory back.
type PruneFuture<'t> = std::pin::Pin<Box<dyn std::future::Future<Output = crate::error::AppResult<u64>> + Send + 't>>;

/// One pruning step in a write transaction of its own; what it removed is logged.
async fn prune_step<F>(state: &AppState, what: &'static str, step: F)
where
    F: for<'t> FnOnce(&'t sea_orm::DatabaseTransaction) -> PruneFuture<'t>,
{
    let tx = match state.db.write().await {
        Ok(tx) => tx,
        Err(e) => return tracing::warn!(error = %e, what, "pruning skipped"),
    };
    match step(&tx).await {
        Ok(n) => match tx.commit().await {
            Ok(()) if n > 0 => tracing::info!(rows = n, what, "pruned"),
            Ok(()) => {}
            Err(e) => tracing::warn!(error = %e, what, "pruning failed"),
        },
        Err(e) => tracing::warn!(error = %e, what, "pruning failed"),
    }
}

async fn housekeeping(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    let mut minutes: u64 = 0;
    loop {
        tick.tick().await;
        state.login_throttle.prune();
        state.hook_limiter.prune();
        state.request_rate.prune();
        state.sso.prune();
        crate::ops::memory::release_free_memory();
        // Checked whether anyone looks (from the second minute on; start-up checked
        // them already): a failure between two visits to the system page is still there.
        if minutes > 0 {
            crate::admin::system::dependencies(&state).await;
        }
        if let Err(e) = crate::admin::nodes::heartbeat(&state).await {
            tracing::warn!(error = %e, "recording this node among the cluster's");
        }
        if minutes.is_multiple_of(60) {
            let days_ago = |days: i64| crate::clock::now_ms() - days.max(1) * 86_400_000;
            let events = days_ago(state.settings.realtime.retention_days);
            prune_step(&state, "the event log", |tx| Box::pin(crate::realtime::log::prune(tx, events))).await;
            let deliveries = days_ago(state.settings.integrations.webhook_log_days);
            prune_step(&state, "the webhook delivery log", |tx| {
                Box::pin(crate::webhooks::outgoing::log::prune(tx, deliveries))
            })
            .await;
            let mails = days_ago(state.settings.email.keep_sent_days);
            let before = std::time::UNIX_EPOCH + Duration::from_millis(u64::try_from(mails).unwrap_or(0));
            let files = state.mailer.prune(before).await;
            if files > 0 {
                tracing::info!(files, "pruned the mail outbox");
            }
            prune_step(&state, "sent mails and ended mail links", |tx| Box::pin(crate::mail::outbox::prune(tx, mails)))
                .await;
            prune_step(&state, "finished sso sign-in attempts", |tx| Box::pin(crate::sso::attempt::prune(tx))).await;
            if let Err(e) = crate::sso::inactive::deactivate_stale(&state).await {
                tracing::warn!(error = %e, "deactivating people absent from their identity provider failed");
            }
            let keep_hours = state.settings.files.unattached_keep_hours;
            if keep_hours > 0 {
                let before =
                    crate::clock::now_ms() - i64::try_from(keep_hours).unwrap_or(i64::MAX / 3_600_000) * 3_600_000;
                match crate::files::sweep::unattached(&state.db, before).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(files = n, "deleted uploads no message carried"),
                    Err(e) => tracing::warn!(error = %e, "deleting uploads no message carried"),
                }
            }
            if let Err(e) = crate::commands::prune_response_urls(&state.db.conn).await {
                tracing::warn!(error = %e, "response URL pruning skipped");
            }
            match crate::admin::retention::due(&state).await {
                Ok(true) => {
                    if let Err(e) = crate::admin::retention::start(&state.db, None).await {
                        tracing::warn!(error = %e, "starting the daily retention run");
                    }
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "checking whether retention is due"),
            }
        }
        match crate::admin::export::expire(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(exports = n, "expired compliance exports deleted"),
            Err(e) => tracing::warn!(error = %e, "deleting expired compliance exports"),
        }
        minutes += 1;
    }
}

/// The standard library listens with a backlog of 128: when thousands of clients
/// reconnect at once (a restart), the rest of their SYNs are dropped and retried only
/// after 1, 3, 7 … seconds. Calling listen(2) again on a listening socket resizes its
/// queue (the kernel caps it at net.core.somaxconn).
fn set_backlog(listener: &TcpListener, backlog: i32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor is owned by `listener`, which outlives this call.
        if unsafe { libc::listen(listener.as_raw_fd(), backlog) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    #[cfg(not(unix))]
    let _ = (listener, backlog);
    Ok(())
}

fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let max_json = state.settings.server.max_json_bytes;
    let shutdown_timeout = state.settings.server.shutdown_timeout_s;
    let workers = state.settings.server.workers;
    let connections = state.connections.clone();
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(crate::edge::panics::catch))
            .wrap(Compress::default())
            .wrap(from_fn(crate::edge::guard::guard))
            .wrap(from_fn(observe::observe))
            .app_data(data.clone())
            .configure(|cfg| crate::api::configure(cfg, max_json))
    })
    .on_connect(move |conn, ext| {
        let peer = conn.downcast_ref::<actix_web::rt::net::TcpStream>().and_then(|s| s.peer_addr().ok());
        ext.insert(connections.opened(peer.map(|a| a.ip())));
    })
    .shutdown_timeout(shutdown_timeout)
    .disable_signals();
    let server = if workers > 0 { server.workers(workers) } else { server };
    let server = server.listen(listener)?.run();
    Ok(server)
}
