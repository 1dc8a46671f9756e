//! The credential cache (auth::credentials) stays exact: a logout, a revoked token, a
//! deactivation or a removal takes effect on the very next request — on the node that
//! made the change, on another node, and when the change bypasses Parley's code.
use parley::accounts::model::user;
use parley::auth::model::{api_token, session};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn credentials_are_cached_yet_changes_made_behind_parleys_back_apply_at_once() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let bob_pat = bob.with_token().await;
    let conn = &app.state.db.conn;

    bob.get("/api/v1/me").await.expect(200);
    bob_pat.get("/api/v1/me").await.expect(200);
    let cached = app.state.credentials.len();
    assert!(cached >= 2, "the cookie and the token are cached ({cached} entries)");

    // The person's row is read on every request: a change to it shows at once.
    user::Entity::update_many()
        .col_expr(user::Column::DisplayName, "Robert".into())
        .filter(user::Column::Id.eq(bob.user_id))
        .exec(conn)
        .await
        .expect("rename");
    assert_eq!(bob_pat.get("/api/v1/me").await.expect(200).body["display_name"], "Robert");

    // A token deleted by another process (psql, `parley admin`, another node).
    api_token::Entity::delete_many()
        .filter(api_token::Column::UserId.eq(bob.user_id))
        .exec(conn)
        .await
        .expect("delete");
    bob_pat.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    bob.get("/api/v1/me").await.expect(200);

    // A session cut short.
    session::Entity::update_many()
        .col_expr(session::Column::ExpiresAt, 1_i64.into())
        .filter(session::Column::UserId.eq(bob.user_id))
        .exec(conn)
        .await
        .expect("expire");
    bob.get("/api/v1/me").await.expect_err(401, "unauthenticated");

    // A deactivation written straight into the table.
    let ada_pat = ada.with_token().await;
    ada_pat.get("/api/v1/me").await.expect(200);
    user::Entity::update_many()
        .col_expr(user::Column::DeactivatedAt, Some(1_i64).into())
        .filter(user::Column::Id.eq(ada.user_id))
        .exec(conn)
        .await
        .expect("deactivate");
    ada_pat.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    ada.get("/api/v1/me").await.expect_err(401, "unauthenticated");
}

#[tokio::test]
async fn logout_revocation_and_deactivation_apply_on_the_next_request() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let bob_pat = bob.with_token().await;
    let id = bob_pat.get("/api/v1/me/tokens").await.expect(200).body[0]["id"].as_str().expect("id").to_owned();
    bob_pat.get("/api/v1/me").await.expect(200);
    bob.delete(&format!("/api/v1/me/tokens/{id}")).await.expect(204);
    bob_pat.get("/api/v1/me").await.expect_err(401, "unauthenticated");

    let phone = app.login_as("bob@acme.test", crate::helpers::PASSWORD).await;
    phone.get("/api/v1/me").await.expect(200);
    phone.post_empty("/api/v1/auth/logout").await.expect(200);
    phone.get("/api/v1/me").await.expect_err(401, "unauthenticated");

    bob.get("/api/v1/me").await.expect(200);
    ada.post_empty(&format!("/api/v1/admin/users/{}/deactivate", bob.user_id)).await.expect(204);
    bob.get("/api/v1/me").await.expect_err(401, "unauthenticated");
}

/// Two nodes over one PostgreSQL database and NATS: what one node changes, the other
/// refuses on the very next request (no waiting for a message on the bus).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_change_on_one_node_is_refused_by_the_other_on_the_next_request() {
    let Some((a, b)) = TestApp::spawn_pair().await else {
        eprintln!("skipped: set PARLEY_TEST_DATABASE_URL and PARLEY_TEST_NATS_URL to run the two-node test");
        return;
    };
    let (ada, ws) = a.setup_admin().await;
    let bob = a.join(&ada, ws, "bob", "member").await;
    let carol = a.join(&ada, ws, "carol", "member").await;
    let private = ada.channel(ws, "plans", true).await;
    ada.post(&format!("/api/v1/channels/{private}/members"), json!({"user_id": bob.user_id})).await.expect(200);

    // Warm node B's cache with Bob's token and cookie.
    let bob_pat = bob.with_token().await;
    let id = bob_pat.get("/api/v1/me/tokens").await.expect(200).body[0]["id"].as_str().expect("id").to_owned();
    bob_pat.on(&b).say(private, "from B").await;
    bob.on(&b).get("/api/v1/me").await.expect(200);

    // Removed from the channel on A: B refuses his next post there.
    ada.delete(&format!("/api/v1/channels/{private}/members/{}", bob.user_id)).await.expect(204);
    bob_pat
        .on(&b)
        .post(&format!("/api/v1/channels/{private}/messages"), json!({"text": "still here?"}))
        .await
        .expect_err(404, "channel_not_found");

    // Token revoked on A: refused on B.
    bob.delete(&format!("/api/v1/me/tokens/{id}")).await.expect(204);
    bob_pat.on(&b).get("/api/v1/me").await.expect_err(401, "unauthenticated");

    // Logged out on A: the same cookie is refused on B.
    let phone = a.login_as("carol@acme.test", crate::helpers::PASSWORD).await;
    phone.on(&b).get("/api/v1/me").await.expect(200);
    phone.post_empty("/api/v1/auth/logout").await.expect(200);
    phone.on(&b).get("/api/v1/me").await.expect_err(401, "unauthenticated");

    // Deactivated on A: refused on B.
    carol.on(&b).get("/api/v1/me").await.expect(200);
    ada.post_empty(&format!("/api/v1/admin/users/{}/deactivate", carol.user_id)).await.expect(204);
    carol.on(&b).get("/api/v1/me").await.expect_err(401, "unauthenticated");
}

/// Every pooled SQLite connection runs with the query-planner stability guarantee, so a
/// statement with a bound LIMIT (every `.one()`) is not prepared again at each use.
#[tokio::test]
async fn sqlite_connections_keep_their_prepared_statements() {
    let app = TestApp::spawn().await;
    if app.is_postgres() {
        return;
    }
    let pool = app.state.db.conn.get_sqlite_connection_pool().clone();
    let mut conns = Vec::new();
    for _ in 0..3 {
        conns.push(pool.acquire().await.expect("acquire"));
    }
    for conn in &mut conns {
        let mut handle = conn.lock_handle().await.expect("lock");
        let mut enabled: std::ffi::c_int = -1;
        // SAFETY: the handle is open and locked; -1 only reads the setting into `enabled`.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_db_config(
                handle.as_raw_handle().as_ptr(),
                libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
                -1 as std::ffi::c_int,
                &mut enabled as *mut std::ffi::c_int,
            )
        };
        assert_eq!((rc, enabled), (libsqlite3_sys::SQLITE_OK, 1));
    }
}
