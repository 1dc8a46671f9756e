//! The Slack Web API subset: Slack's envelope and errors, the same permissions as the
//! REST API. (The unmodified Slack SDK drives the happy path in tests/slack_sdk.)
use serde_json::{json, Value};

use crate::helpers::{Client, TestApp};

async fn slack(app: &TestApp, token: &str, method: &str, args: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{}/slack/api/{method}", app.base))
        .bearer_auth(token)
        .json(&args)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json")
}

async fn bot_token(admin: &Client, ws: uuid::Uuid, scopes: &[&str]) -> (String, String) {
    let b = admin
        .post(&format!("/api/v1/workspaces/{ws}/bots"), json!({"username": "sb", "display_name": "SB"}))
        .await
        .expect(201);
    let id = b.id();
    let t = admin.post(&format!("/api/v1/bots/{id}/tokens"), json!({"name": "t", "scopes": scopes})).await.expect(201);
    (t.body["token"].as_str().expect("token").to_owned(), id.to_string())
}

#[tokio::test]
async fn slack_errors_and_permissions() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let secret = ada.channel(ws, "secret", true).await;
    let (token, bot_id) = bot_token(&ada, ws, &["chat:write", "channels:history"]).await;

    let r = slack(&app, "bot_wrong", "auth.test", json!({})).await;
    assert_eq!((r["ok"].as_bool(), r["error"].as_str()), (Some(false), Some("invalid_auth")));
    let r = slack(&app, &token, "admin.users.list", json!({})).await;
    assert_eq!(r["error"], "unknown_method");
    let r = slack(&app, &token, "users.list", json!({})).await;
    assert_eq!((r["error"].as_str(), r["needed"].as_str()), (Some("missing_scope"), Some("users:read")));
    assert_eq!(r["provided"], "chat:write,channels:history");
    // Not a member of #general yet, and never of the private channel.
    let r = slack(&app, &token, "chat.postMessage", json!({"channel": "#general", "text": "hi"})).await;
    assert_eq!(r["error"], "channel_not_found", "{r}");
    let r = slack(&app, &token, "chat.postMessage", json!({"channel": secret.to_string(), "text": "hi"})).await;
    assert_eq!(r["error"], "channel_not_found", "{r}");
    ada.post(&format!("/api/v1/channels/{general}/members"), json!({"user_id": bot_id})).await.expect(200);
    let r = slack(&app, &token, "chat.postMessage", json!({"channel": "general"})).await;
    assert_eq!(r["error"], "no_text");
    let posted = slack(&app, &token, "chat.postMessage", json!({"channel": "general", "text": "hello"})).await;
    assert_eq!(posted["ok"], true, "{posted}");
    let ts = posted["ts"].as_str().expect("ts").to_owned();
    // Someone else's message cannot be changed by the bot.
    let theirs = ada.say(general, "mine").await;
    let their_ts = format!("{}.{:06}", 0, theirs["seq"].as_i64().expect("seq"));
    let r = slack(&app, &token, "chat.update", json!({"channel": "general", "ts": their_ts, "text": "edited"})).await;
    assert_eq!(r["error"], "cant_update_message");
    let r = slack(&app, &token, "chat.delete", json!({"channel": "general", "ts": their_ts})).await;
    assert_eq!(r["error"], "cant_delete_message");
    let r = slack(&app, &token, "chat.delete", json!({"channel": "general", "ts": ts})).await;
    assert_eq!(r["ok"], true, "{r}");
    let r = slack(&app, &token, "chat.update", json!({"channel": "general", "ts": ts, "text": "x"})).await;
    assert_eq!(r["error"], "message_not_found");
    let history = ada.history(general, "").await;
    assert!(history.iter().all(|m| m["text"] != "hello"), "deleted");
    assert_eq!(history.iter().find(|m| m["id"] == theirs["id"]).expect("theirs")["text"], "mine", "unchanged");
}

/// POSTs bytes to an upload URL the way the Slack SDKs do: the raw body, labelled a form.
async fn upload_bytes(url: &str, bytes: &[u8]) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(bytes.to_vec())
        .send()
        .await
        .expect("send");
    (r.status().as_u16(), r.text().await.expect("text"))
}

#[tokio::test]
async fn slack_file_upload_in_three_steps() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let (token, bot_id) = bot_token(&ada, ws, &["files:write", "chat:write"]).await;
    ada.post(&format!("/api/v1/channels/{general}/members"), json!({"user_id": bot_id})).await.expect(200);
    // Binary bytes with NULs and controls: a file, not a form, whatever the label says.
    let bytes: Vec<u8> = (0u8..=255).cycle().take(3000).collect();

    let got = slack(&app, &token, "files.getUploadURLExternal", json!({"filename": "data.bin", "length": 3000})).await;
    assert_eq!(got["ok"], true, "{got}");
    let url = got["upload_url"].as_str().expect("url").to_owned();
    let file_id = got["file_id"].as_str().expect("file id").to_owned();
    assert!(file_id.starts_with('F'), "{file_id}");
    // Not complete before the bytes arrive.
    let early = json!({"files": [{"id": file_id}], "channel_id": general.to_string()});
    let r = slack(&app, &token, "files.completeUploadExternal", early.clone()).await;
    assert_eq!(r["error"], "file_upload_not_completed", "{r}");
    // A guessed URL is nobody's; more bytes than declared are refused and nothing is kept.
    assert_eq!(upload_bytes(&format!("{}/slack/upload/upl_guess", app.base), &bytes).await.0, 404);
    let (status, _) = upload_bytes(&url, &[bytes.as_slice(), b"extra"].concat()).await;
    assert_eq!(status, 413);
    assert_eq!(upload_bytes(&url, &bytes).await, (200, "OK - 3000".to_owned()));
    assert_eq!(upload_bytes(&url, &bytes).await.0, 409, "an upload URL works once");

    // Only the caller's own upload can be completed, and only into a channel.
    let other = app.join(&ada, ws, "eve", "member").await;
    let eve_token = other.with_token().await;
    let r = eve_token.post("/slack/api/files.completeUploadExternal", early.clone()).await;
    assert_eq!(r.body["error"], "file_not_found", "{:?}", r.body);
    let r = slack(&app, &token, "files.completeUploadExternal", json!({"files": [{"id": file_id}]})).await;
    assert_eq!(r["error"], "invalid_arguments");

    // As the SDK sends it: `files` a JSON string, a comment, a title.
    let files_arg = json!([{"id": file_id, "title": "The data"}]).to_string();
    let done = slack(
        &app,
        &token,
        "files.completeUploadExternal",
        json!({"files": files_arg, "channel_id": general.to_string(), "initial_comment": "*nightly* export"}),
    )
    .await;
    assert_eq!(done["ok"], true, "{done}");
    let f = &done["files"][0];
    assert_eq!(
        (f["id"].as_str(), f["title"].as_str(), f["size"].as_i64()),
        (Some(file_id.as_str()), Some("The data"), Some(3000))
    );
    let again = slack(&app, &token, "files.completeUploadExternal", early).await;
    assert_eq!(again["error"], "file_not_found", "completed once");

    let history = ada.history(general, "").await;
    let m = history.iter().find(|m| m["text"] == "*nightly* export").expect("shared in a message");
    assert_eq!(m["author"]["is_bot"], true);
    let fid = m["files"][0]["id"].as_str().expect("file").to_owned();
    assert_eq!(m["files"][0]["name"], "data.bin");
    let content = ada.request(reqwest::Method::GET, &format!("/api/v1/files/{fid}/content")).send().await.expect("get");
    assert_eq!(content.status().as_u16(), 200);
    assert_eq!(content.bytes().await.expect("bytes").as_ref(), bytes.as_slice(), "the bytes, unchanged");
}

#[tokio::test]
async fn slack_file_upload_needs_files_write_and_a_sane_length() {
    let app = TestApp::spawn_with(|s| s.files.max_upload_bytes = 1000, Default::default()).await;
    let (ada, ws) = app.setup_admin().await;
    let (chat_only, _) = bot_token(&ada, ws, &["chat:write"]).await;
    let r = slack(&app, &chat_only, "files.getUploadURLExternal", json!({"filename": "a.txt", "length": 10})).await;
    assert_eq!((r["error"].as_str(), r["needed"].as_str()), (Some("missing_scope"), Some("files:write")));
    let b = ada
        .post(&format!("/api/v1/workspaces/{ws}/bots"), json!({"username": "filer", "display_name": "Filer"}))
        .await
        .expect(201);
    let t = ada
        .post(&format!("/api/v1/bots/{}/tokens", b.id()), json!({"name": "t", "scopes": ["files:write"]}))
        .await
        .expect(201);
    let token = t.body["token"].as_str().expect("token");
    for bad in [
        json!({"filename": "a.txt", "length": 1001}),
        json!({"filename": "a.txt", "length": -1}),
        json!({"filename": "a.txt"}),
    ] {
        let r = slack(&app, token, "files.getUploadURLExternal", bad.clone()).await;
        assert_eq!(r["ok"], false, "{bad}: {r}");
    }
    let r = slack(&app, token, "files.getUploadURLExternal", json!({"filename": "a.txt", "length": 1001})).await;
    assert_eq!(r["error"], "file_too_large");
}

#[tokio::test]
async fn a_staged_upload_never_completed_is_swept_with_its_bytes() {
    use parley::slack_api::uploads::model::staged;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let (token, _) = bot_token(&ada, ws, &["files:write"]).await;
    let got = slack(&app, &token, "files.getUploadURLExternal", json!({"filename": "left.txt", "length": 5})).await;
    assert_eq!(upload_bytes(got["upload_url"].as_str().expect("url"), b"hello").await.0, 200);
    let conn = &app.state.db.conn;
    let row = staged::Entity::find().one(conn).await.expect("query").expect("staged");
    assert!(app.state.blobs.read(&row.storage_key, 100).await.is_ok(), "the bytes wait");

    // Its hour passes.
    parley::jobs::model::job::Entity::update_many()
        .col_expr(parley::jobs::model::job::Column::RunAt, 0i64.into())
        .filter(parley::jobs::model::job::Column::Id.eq(row.discard_job_id))
        .exec(conn)
        .await
        .expect("make due");
    for _ in 0..200 {
        if staged::Entity::find_by_id(row.id).one(conn).await.expect("row").is_none() {
            assert!(app.state.blobs.read(&row.storage_key, 100).await.is_err(), "the bytes are gone");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the staged upload was not swept");
}
