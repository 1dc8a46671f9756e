//! Uploads that never finish: cut off by a crash (the sweeper job) or abandoned by the
//! client midway. Either way nothing is left in the store or the table.
use std::time::Duration;

use sea_orm::{EntityTrait, PaginatorTrait};

use crate::files::wait_until_empty;
use crate::files_support::{self as fs, Inspect};

#[tokio::test]
async fn an_upload_cut_off_by_a_crash_is_swept_by_its_job() {
    use parley::files::model::file;
    use sea_orm::{ColumnTrait, QueryFilter};
    let app = fs::spawn(|_| {}).await;
    let store = Inspect::of(&app);
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let conn = &app.state.db.conn;
    // What a server that died mid-upload leaves: a pending row, its sweeper job and
    // some bytes under the key.
    let access = parley::access::channel(conn, ada.user_id, general, parley::access::Need::Post).await.expect("access");
    let pending = parley::files::service::begin(&app.state.db, &access, ada.user_id).await.expect("begin");
    app.state.blobs.put(&pending.storage_key, b"half a file".to_vec()).await.expect("put");
    ada.get(&format!("/api/v1/files/{}", pending.id)).await.expect_err(404, "file_not_found");
    assert_eq!(store.leftovers(ws).await.len(), 1);

    // Its time comes (six hours later in real life).
    let job = pending.discard_job_id.expect("sweeper job");
    parley::jobs::model::job::Entity::update_many()
        .col_expr(parley::jobs::model::job::Column::RunAt, 0i64.into())
        .filter(parley::jobs::model::job::Column::Id.eq(job))
        .exec(conn)
        .await
        .expect("make due");
    wait_until_empty(&store, ws).await;
    for _ in 0..100 {
        if file::Entity::find_by_id(pending.id).one(conn).await.expect("row").is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the pending row was not swept");
}

#[tokio::test]
async fn an_upload_the_client_abandons_midway_leaves_nothing() {
    use tokio::io::AsyncWriteExt;
    let app = fs::spawn(|_| {}).await;
    let store = Inspect::of(&app);
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let ada = ada.with_token().await;
    let token = ada.token.clone().expect("token");
    let boundary = "cutcutcut";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let promised = head.len() + 12 * 1024 * 1024 + tail.len();
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.expect("connect");
    let request = format!(
        "POST /api/v1/channels/{general}/files HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {promised}\r\n\r\n{head}"
    );
    conn.write_all(request.as_bytes()).await.expect("headers");
    // Over one S3 part, so a multipart upload is under way when the client goes.
    let chunk = fs::patterned(64 * 1024);
    for _ in 0..(7 * 16) {
        conn.write_all(&chunk).await.expect("body");
    }
    conn.flush().await.expect("flush");
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(conn);

    for _ in 0..200 {
        let rows = parley::files::model::file::Entity::find().count(&app.state.db.conn).await.expect("count");
        if rows == 0 && store.leftovers(ws).await.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rows = parley::files::model::file::Entity::find().count(&app.state.db.conn).await.expect("count");
    panic!("left behind: {rows} row(s), objects {:?}", store.leftovers(ws).await);
}

#[tokio::test]
async fn an_upload_no_message_carried_for_a_day_is_deleted_with_its_bytes_and_others_are_kept() {
    use parley::files::model::file;
    use sea_orm::{ColumnTrait, QueryFilter};
    let app = fs::spawn(|_| {}).await;
    let store = Inspect::of(&app);
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let conn = &app.state.db.conn;
    let forgotten = fs::upload(&ada, general, "forgotten.txt", b"never sent".to_vec()).await.expect(201).id();
    let shared = fs::upload(&ada, general, "shared.txt", b"sent with a message".to_vec()).await.expect(201).id();
    let fresh = fs::upload(&ada, general, "fresh.txt", b"still being written about".to_vec()).await.expect(201).id();
    let body = serde_json::json!({"text": "the shared one", "file_ids": [shared]});
    ada.post(&format!("/api/v1/channels/{general}/messages"), body).await.expect(201);
    let two_days_ago = parley::clock::now_ms() - 48 * 3_600_000;
    file::Entity::update_many()
        .col_expr(file::Column::CreatedAt, two_days_ago.into())
        .filter(file::Column::Id.is_in([forgotten, shared]))
        .exec(conn)
        .await
        .expect("backdate");
    let mut socket = crate::ws_client::Ws::connect(&ada).await;

    let day_ago = parley::clock::now_ms() - 24 * 3_600_000;
    assert_eq!(parley::files::sweep::unattached(&app.state.db, day_ago).await.expect("sweep"), 1);
    socket
        .expect("the uploader is told", |v| v["type"] == "file.deleted" && v["data"]["id"] == forgotten.to_string())
        .await;
    ada.get(&format!("/api/v1/files/{forgotten}")).await.expect_err(404, "file_not_found");
    ada.get(&format!("/api/v1/files/{shared}")).await.expect(200);
    ada.get(&format!("/api/v1/files/{fresh}")).await.expect(200);
    let key = file::Entity::find_by_id(forgotten).one(conn).await.expect("row").expect("kept as deleted").storage_key;
    for _ in 0..200 {
        if !store.leftovers(ws).await.iter().any(|o| o.contains(&key)) {
            assert_eq!(store.leftovers(ws).await.len(), 2, "the other two stay");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the forgotten upload's bytes were not purged: {:?}", store.leftovers(ws).await);
}
