//! TestApp: the real server on port 0 with a fresh database (SQLite by default,
//! PostgreSQL when PARLEY_TEST_DATABASE_URL is set), and a small typed client.
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use parley::jobs::JobRegistry;
use parley::settings::Settings;
use parley::startup::{Application, ShutdownHandle};
use parley::state::AppState;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};
use uuid::Uuid;

pub use super::client::{session_pair, Client, Resp};

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub setup_link: Option<String>,
    handle: ShutdownHandle,
    data_dir: PathBuf,
    pg: Option<(String, String)>,
}

/// A running Meilisearch to test against (PARLEY_TEST_MEILI_URL, key in
/// PARLEY_TEST_MEILI_KEY); every test app then searches there, in indexes of its own.
pub fn meili_url() -> Option<String> {
    std::env::var("PARLEY_TEST_MEILI_URL").ok().filter(|u| !u.is_empty())
}

pub fn use_meili(settings: &mut Settings, url: &str) {
    settings.search.backend = parley::settings::SearchBackend::Meilisearch;
    settings.search.meilisearch.url = url.to_owned();
    settings.search.meilisearch.api_key = std::env::var("PARLEY_TEST_MEILI_KEY").ok().map(Into::into);
    settings.search.meilisearch.index_prefix = format!("t{}", Uuid::now_v7().simple());
    settings.search.meilisearch.request_timeout_s = 5;
}

fn pg_admin_url() -> Option<String> {
    std::env::var("PARLEY_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())
}

/// `postgres://u@h:p/db?x` → (`postgres://u@h:p/`, `?x`)
fn split_pg_url(url: &str) -> (String, String) {
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m.to_owned(), format!("?{q}")),
        None => (url.to_owned(), String::new()),
    };
    let scheme_end = main.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match main[scheme_end..].find('/') {
        Some(i) => main[..scheme_end + i + 1].to_owned(),
        None => format!("{main}/"),
    };
    (base, query)
}

async fn fresh_pg_database(admin_url: &str) -> (String, String) {
    let name = format!("parley_t_{}", Uuid::now_v7().simple());
    let admin = Database::connect(admin_url).await.expect("connect to PARLEY_TEST_DATABASE_URL");
    admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
    let (base, query) = split_pg_url(admin_url);
    (format!("{base}{name}{query}"), name)
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}, JobRegistry::default()).await
    }

    /// Two nodes sharing one fresh PostgreSQL database and a real NATS server, behind
    /// one site URL (as behind a load balancer). None unless PARLEY_TEST_DATABASE_URL and
    /// PARLEY_TEST_NATS_URL are both set.
    pub async fn spawn_pair() -> Option<(Self, Self)> {
        let nats = std::env::var("PARLEY_TEST_NATS_URL").ok().filter(|u| !u.is_empty())?;
        pg_admin_url()?;
        let first = Self::spawn_with(|s| s.realtime.nats_url = nats.clone(), JobRegistry::default()).await;
        let url = first.state.settings.database_url();
        let site = first.base.clone();
        let second = Self::spawn_node(
            |s| {
                s.realtime.nats_url = nats;
                s.search = first.state.settings.search.clone();
                s.database.url = url.into();
                s.server.site_url = site;
            },
            false,
        )
        .await;
        Some((first, second))
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Settings), jobs: JobRegistry) -> Self {
        Self::spawn_node_with(tweak, jobs, true).await
    }

    async fn spawn_node(tweak: impl FnOnce(&mut Settings), fresh_db: bool) -> Self {
        Self::spawn_node_with(tweak, JobRegistry::default(), fresh_db).await
    }

    /// A listening socket for `spawn_on`: its address is known before the server starts
    /// (to register it somewhere first, e.g. at an identity provider).
    pub fn bind() -> TcpListener {
        TcpListener::bind("127.0.0.1:0").expect("bind")
    }

    pub async fn spawn_on(listener: TcpListener, tweak: impl FnOnce(&mut Settings)) -> Self {
        Self::spawn_listening(listener, tweak, JobRegistry::default(), true).await
    }

    async fn spawn_node_with(tweak: impl FnOnce(&mut Settings), jobs: JobRegistry, fresh_db: bool) -> Self {
        Self::spawn_listening(Self::bind(), tweak, jobs, fresh_db).await
    }

    async fn spawn_listening(
        listener: TcpListener,
        tweak: impl FnOnce(&mut Settings),
        jobs: JobRegistry,
        fresh_db: bool,
    ) -> Self {
        let port = listener.local_addr().expect("addr").port();
        let data_dir = std::env::temp_dir().join(format!("parley-test-{}", Uuid::now_v7().simple()));
        let mut settings = Settings::defaults().expect("defaults");
        settings.server.bind = format!("127.0.0.1:{port}");
        settings.server.site_url = format!("http://127.0.0.1:{port}");
        settings.server.data_dir = data_dir.clone();
        settings.server.workers = 2;
        settings.server.shutdown_timeout_s = 1;
        settings.jobs.poll_ms = 20;
        if let Some(url) = meili_url() {
            use_meili(&mut settings, &url);
        }
        let mut pg = None;
        if let Some(admin) = pg_admin_url().filter(|_| fresh_db) {
            let (url, name) = fresh_pg_database(&admin).await;
            settings.database.url = url.into();
            pg = Some((admin, name));
        }
        tweak(&mut settings);
        let app = Application::build_on(listener, settings, jobs).await.expect("build app");
        let state = app.state.clone();
        let setup_link = app.setup_link.clone();
        let handle = app.shutdown_handle();
        tokio::spawn(app.run_until_stopped());
        Self { base: format!("http://127.0.0.1:{port}"), state, setup_link, handle, data_dir, pg }
    }

    /// This node stopped and a new one started on its database and data directory, as
    /// after a restart (on another port, behind the same site URL).
    pub async fn restart(&self, tweak: impl FnOnce(&mut Settings)) -> Self {
        self.shutdown().await;
        let (url, dir, site) = (self.state.settings.database_url(), self.data_dir.clone(), self.base.clone());
        Self::spawn_node(
            |s| {
                s.database.url = url.into();
                s.server.data_dir = dir;
                s.server.site_url = site;
                tweak(s);
            },
            false,
        )
        .await
    }

    /// What SIGTERM does: sockets closed with "service restart", requests drained.
    pub async fn shutdown(&self) {
        self.handle.shutdown().await;
    }

    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    pub fn is_meili(&self) -> bool {
        self.state.search.name() == "meilisearch"
    }

    pub fn is_postgres(&self) -> bool {
        self.state.db.is_postgres()
    }

    pub fn anon(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client"),
            cookie: None,
            token: None,
            origin: Some(self.base.clone()),
            user_id: Uuid::nil(),
            username: String::new(),
            email: String::new(),
        }
    }

    /// Completes first-run setup: an instance admin who owns workspace "Acme".
    pub async fn setup_admin(&self) -> (Client, Uuid) {
        let link = self.setup_link.clone().expect("setup link");
        let token = link.split("token=").nth(1).expect("token").to_owned();
        let mut c = self.anon();
        let r = c
            .post(
                "/api/v1/setup",
                json!({"token": token, "workspace_name": "Acme", "display_name": "Ada Admin",
                       "email": "ada@acme.test", "username": "ada", "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        c.adopt_session(&r);
        let ws = c.get("/api/v1/workspaces").await.body[0]["id"].as_str().expect("ws").parse().expect("uuid");
        (c, ws)
    }

    /// A new account that joined `ws` with `role` through an invitation from `inviter`.
    pub async fn join(&self, inviter: &Client, ws: Uuid, username: &str, role: &str) -> Client {
        let inv = inviter.post(&format!("/api/v1/workspaces/{ws}/invites"), json!({"role": role})).await;
        assert_eq!(inv.status, 201, "{:?}", inv.body);
        self.signup_with(inv.body["token"].as_str().expect("token"), username).await
    }

    pub async fn signup_with(&self, invite_token: &str, username: &str) -> Client {
        let mut c = self.anon();
        let r = c
            .post(
                "/api/v1/auth/signup",
                json!({"invite_token": invite_token, "email": format!("{username}@acme.test"),
                       "display_name": username, "username": username, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        c.adopt_session(&r);
        c
    }

    pub async fn login(&self, email: &str, password: &str) -> Resp {
        self.anon().post("/api/v1/auth/login", json!({"email": email, "password": password})).await
    }

    /// A fresh session for an existing account.
    pub async fn login_as(&self, email: &str, password: &str) -> Client {
        let r = self.login(email, password).await.expect(200);
        let mut c = self.anon();
        c.adopt_session(&r);
        c
    }

    /// An account that belongs only to another workspace.
    pub async fn outsider(&self, admin: &Client, username: &str) -> (Client, Uuid) {
        let (other_ws, _) = create_workspace(admin, &format!("Other {username}")).await;
        (self.join(admin, other_ws, username, "member").await, other_ws)
    }
}

pub async fn create_workspace(c: &Client, name: &str) -> (Uuid, Value) {
    let r = c.post("/api/v1/workspaces", json!({"name": name})).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    (r.id(), r.body)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        let pg = self.pg.take();
        let dir = self.data_dir.clone();
        // The test's runtime may be the one serving; stop and clean up from a thread
        // of our own, and wait for the database drop so none are left behind.
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async move {
                let _ = tokio::time::timeout(Duration::from_millis(500), handle.shutdown()).await;
                if let Some((admin, name)) = pg {
                    if let Ok(conn) = Database::connect(&admin).await {
                        let _ =
                            conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                    }
                }
            });
            let _ = std::fs::remove_dir_all(dir);
        });
        let _ = cleanup.join();
    }
}
