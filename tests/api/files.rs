//! Files on the store under test: the local directory always, and the real
//! S3-compatible server when PARLEY_TEST_S3_* is set (.ci/run starts one).
use std::time::Duration;

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::files_support::{self as fs, Inspect, Proxy};
use crate::helpers::{Client, Resp};
use crate::ws_client::Ws;

fn id(v: &Value) -> Uuid {
    v["id"].as_str().and_then(|s| s.parse().ok()).expect("id")
}

/// Follows a download the way a browser would: the redirect to a signed URL is
/// fetched by a plain HTTP client that carries no Parley credentials.
async fn download(c: &Client, path: &str) -> reqwest::Response {
    let r = c.request(reqwest::Method::GET, path).send().await.expect("download");
    if r.status() == 302 {
        let to = r.headers()["location"].to_str().expect("location").to_owned();
        assert_eq!(r.headers()["cache-control"], "private, no-store");
        return reqwest::get(to).await.expect("signed url");
    }
    r
}

async fn post_with_files(c: &Client, channel: Uuid, text: &str, files: &[Uuid]) -> Resp {
    c.post(&format!("/api/v1/channels/{channel}/messages"), json!({"text": text, "file_ids": files})).await
}

#[tokio::test]
async fn upload_attach_and_download_round_trip() {
    let app = fs::spawn(|_| {}).await;
    let store = Inspect::of(&app);
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let (eve, _) = app.outsider(&ada, "eve").await;
    let general = ada.general(ws).await;
    let mut bob_ws = Ws::connect(&bob).await;

    // Over two S3 parts of 5 MiB, so the multipart path runs.
    let bytes = fs::patterned(12 * 1024 * 1024 + 12_345);
    let up = fs::upload(&ada, general, "../../etc/Quarterly report ü.bin", bytes.clone()).await.expect(201).body;
    let fid = id(&up);
    assert_eq!(up["name"], "Quarterly report ü.bin", "directories are stripped");
    assert_eq!(up["size"].as_u64(), Some(bytes.len() as u64));
    assert_eq!(up["sha256"].as_str(), Some(format!("{:x}", Sha256::digest(&bytes)).as_str()));
    assert_eq!(up["content_type"], "application/octet-stream");
    assert!(up["message_id"].is_null());

    // Until a message carries it, the file is the uploader's alone.
    let meta = format!("/api/v1/files/{fid}");
    let content = format!("/api/v1/files/{fid}/content");
    bob.get(&meta).await.expect_err(404, "file_not_found");
    assert_eq!(bob.request(reqwest::Method::GET, &content).send().await.expect("get").status(), 404);
    ada.get(&meta).await.expect(200);

    // Attach it: the message and its live event carry the file.
    let msg = post_with_files(&ada, general, "", &[fid]).await.expect(201).body;
    assert_eq!(msg["files"][0]["id"], up["id"]);
    assert_eq!(msg["files"][0]["message_id"], msg["id"]);
    let live = bob_ws.expect("message with the file", |e| e["type"] == "message.created").await;
    assert_eq!(live["data"]["files"][0]["name"], "Quarterly report ü.bin");
    let page = bob.history(general, "").await;
    assert_eq!(page.last().expect("message")["files"][0]["size"].as_u64(), Some(bytes.len() as u64));

    // Byte-exact download for a channel member, as an attachment, never sniffed.
    let got = download(&bob, &content).await;
    assert_eq!(got.status(), 200);
    let disposition = got.headers()["content-disposition"].to_str().expect("disposition").to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''Quarterly%20report%20%C3%BC.bin"), "{disposition}");
    if !store.is_s3() {
        assert_eq!(got.headers()["x-content-type-options"], "nosniff");
    }
    assert_eq!(got.bytes().await.expect("bytes").as_ref(), bytes.as_slice());

    // A range (a resumed download, a seeking player).
    let ranged = download_range(&bob, &content, "bytes=1000-1999").await;
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes().await.expect("bytes").as_ref(), &bytes[1000..2000]);

    // Someone outside the workspace gets 404 and no URL, however they ask.
    let r = eve.request(reqwest::Method::GET, &content).send().await.expect("get");
    assert_eq!(r.status(), 404);
    assert!(r.headers().get("location").is_none());
    eve.get(&meta).await.expect_err(404, "file_not_found");
    eve.delete(&meta).await.expect_err(404, "file_not_found");
    app.anon().get(&meta).await.expect_err(401, "unauthenticated");

    // A file is attached once; only its uploader attaches it; ten at most.
    let again = post_with_files(&ada, general, "again", &[fid]).await.expect_err(422, "invalid_input");
    assert_eq!(again.body["error"]["field"], "file_ids");
    let adas = fs::upload(&ada, general, "a.txt", b"hello".to_vec()).await.expect(201).body;
    post_with_files(&bob, general, "mine now", &[id(&adas)]).await.expect_err(422, "invalid_input");
    let eleven: Vec<Uuid> = (0..11).map(|_| Uuid::now_v7()).collect();
    post_with_files(&ada, general, "many", &eleven).await.expect_err(422, "invalid_input");
    post_with_files(&ada, general, "", &[]).await.expect_err(422, "invalid_input");
    assert_eq!(bob.history(general, "").await.len(), 1, "refused posts store nothing");

    // The channel's file list shows attached files only.
    let listed = bob.get(&format!("/api/v1/channels/{general}/files")).await.expect(200).body;
    let ids: Vec<&Value> = listed.as_array().expect("list").iter().map(|f| &f["id"]).collect();
    assert_eq!(ids, vec![&up["id"]]);
}

async fn download_range(c: &Client, path: &str, range: &str) -> reqwest::Response {
    let r = c.request(reqwest::Method::GET, path).header("range", range).send().await.expect("download");
    if r.status() == 302 {
        let to = r.headers()["location"].to_str().expect("location").to_owned();
        return reqwest::Client::new().get(to).header("range", range).send().await.expect("signed url");
    }
    r
}

#[tokio::test]
async fn private_channel_files_stay_private_even_after_leaving() {
    let app = fs::spawn(|_| {}).await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let secret = ada.channel(ws, "secret", true).await;
    ada.post(&format!("/api/v1/channels/{secret}/members"), json!({"user_id": bob.user_id})).await.expect(200);
    let up = fs::upload(&ada, secret, "plan.txt", b"the plan".to_vec()).await.expect(201).body;
    post_with_files(&ada, secret, "see attached", &[id(&up)]).await.expect(201);
    let content = format!("/api/v1/files/{}/content", id(&up));
    assert_eq!(download(&bob, &content).await.status(), 200);
    bob.post_empty(&format!("/api/v1/channels/{secret}/leave")).await.expect(204);
    let r = bob.request(reqwest::Method::GET, &content).send().await.expect("get");
    assert_eq!(r.status(), 404, "leaving removes access at once");
    assert!(r.headers().get("location").is_none());
    bob.get(&format!("/api/v1/channels/{secret}/files")).await.expect_err(404, "channel_not_found");
}

#[tokio::test]
async fn oversize_uploads_are_refused_and_leave_nothing_behind() {
    // Above one S3 part, so a multipart upload is started and must be aborted.
    let limit: u64 = 6 * 1024 * 1024;
    let app = fs::spawn(|s| s.files.max_upload_bytes = limit).await;
    let store = Inspect::of(&app);
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;

    // With a Content-Length the refusal comes before any byte is stored …
    let r = fs::upload(&ada, general, "big.bin", fs::patterned(12 * 1024 * 1024)).await;
    r.expect_err(413, "file_too_large");
    // … and without one, while streaming, as soon as the count passes the limit.
    let r = fs::upload_streamed(&ada, general, "big.bin", 12 * 1024 * 1024).await;
    r.expect_err(413, "file_too_large");
    // Exactly at the limit is fine.
    let ok = fs::upload_streamed(&ada, general, "limit.bin", limit as usize).await.expect(201).body;

    let files = parley::files::model::file::Entity::find().count(&app.state.db.conn).await.expect("count");
    let jobs = parley::jobs::model::job::Entity::find().all(&app.state.db.conn).await.expect("jobs");
    assert_eq!(files, 1, "only the accepted upload has a row");
    assert!(jobs.iter().all(|j| j.kind != "files.discard_unfinished"), "no sweeper left: {jobs:?}");
    let left = store.leftovers(ws).await;
    assert_eq!(left.len(), 1, "only the accepted object is stored: {left:?}");
    assert!(left[0].ends_with(&id(&ok).simple().to_string()), "{left:?}");
}

#[tokio::test]
async fn markup_is_served_as_an_attachment_and_safe_images_inline() {
    let app = fs::spawn(|_| {}).await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("cat.png", b"<!doctype html><script>alert(document.cookie)</script>".to_vec(), "text/html"),
        ("logo.svg", b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec(), "image/svg+xml"),
        ("notes.txt", "plain text, ü".as_bytes().to_vec(), "text/plain"),
        ("photo.html", fs::png(8, 8), "image/png"),
    ];
    let mut ids = Vec::new();
    for (name, bytes, sniffed) in &cases {
        let up = fs::upload(&ada, general, name, bytes.clone()).await.expect(201).body;
        assert_eq!(up["content_type"], *sniffed, "{name} is judged by its bytes, not its name");
        ids.push(id(&up));
    }
    post_with_files(&ada, general, "files", &ids).await.expect(201);
    for ((name, bytes, _), fid) in cases.iter().zip(&ids) {
        let got = download(&ada, &format!("/api/v1/files/{fid}/content")).await;
        assert_eq!(got.status(), 200);
        let disposition = got.headers()["content-disposition"].to_str().expect("disposition").to_owned();
        let kind = got.headers()["content-type"].to_str().expect("type").to_owned();
        if *name == "photo.html" {
            assert!(disposition.starts_with("inline"), "a PNG may show inline: {disposition}");
            assert_eq!(kind, "image/png");
        } else {
            assert!(disposition.starts_with("attachment"), "{name}: {disposition}");
            assert!(!kind.contains("html") && !kind.contains("svg") && !kind.contains("xml"), "{name}: {kind}");
        }
        assert_eq!(got.bytes().await.expect("bytes").as_ref(), bytes.as_slice());
    }
    // A forced download of the image is an attachment too.
    let forced = download(&ada, &format!("/api/v1/files/{}/content?download=true", ids[3])).await;
    assert!(forced.headers()["content-disposition"].to_str().expect("d").starts_with("attachment"));
}

#[tokio::test]
async fn thumbnails_appear_upright_and_bombs_are_refused() {
    let app = fs::spawn(|_| {}).await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    let mut ada_ws = Ws::connect(&ada).await;

    let wide = fs::upload(&ada, general, "wide.png", fs::png(800, 600)).await.expect(201).body;
    let rotated = fs::upload(&ada, general, "phone.jpg", fs::jpeg_rotated(200, 100)).await.expect(201).body;
    let bomb = fs::upload(&ada, general, "bomb.png", fs::png_claiming(100_000, 100_000)).await.expect(201).body;
    let text = fs::upload(&ada, general, "a.txt", b"no picture".to_vec()).await.expect(201).body;
    assert_eq!(text["thumbnail_state"], "none");
    post_with_files(&ada, general, "pictures", &[id(&wide), id(&rotated), id(&bomb)]).await.expect(201);

    let wide = fs::thumbnail_settled(&bob, id(&wide)).await;
    assert_eq!(wide["thumbnail_state"], "ready");
    assert_eq!((wide["width"].as_i64(), wide["height"].as_i64()), (Some(800), Some(600)));
    assert_eq!((wide["thumbnail"]["width"].as_i64(), wide["thumbnail"]["height"].as_i64()), (Some(400), Some(300)));
    let thumb = download(&bob, wide["thumbnail"]["url"].as_str().expect("url")).await;
    assert_eq!(thumb.status(), 200);
    assert!(thumb.headers()["content-disposition"].to_str().expect("d").starts_with("inline"));
    let decoded = image::load_from_memory(&thumb.bytes().await.expect("bytes")).expect("thumbnail decodes");
    assert_eq!((decoded.width(), decoded.height()), (400, 300));

    let rotated = fs::thumbnail_settled(&bob, id(&rotated)).await;
    assert_eq!(rotated["thumbnail_state"], "ready");
    assert_eq!(
        (rotated["width"].as_i64(), rotated["height"].as_i64()),
        (Some(100), Some(200)),
        "EXIF turns it upright"
    );
    assert_eq!(
        (rotated["thumbnail"]["width"].as_i64(), rotated["thumbnail"]["height"].as_i64()),
        (Some(100), Some(200)),
        "a picture smaller than the thumbnail box is not enlarged"
    );

    let bomb = fs::thumbnail_settled(&bob, id(&bomb)).await;
    assert_eq!(bomb["thumbnail_state"], "failed");
    assert_eq!(bomb["width"].as_i64(), Some(100_000), "the claimed size is recorded, never decoded");
    bob.get(&format!("/api/v1/files/{}/thumbnail", id(&bomb))).await.expect_err(404, "thumbnail_not_found");

    // The uploader's sockets hear about each file; the channel hears when thumbnails land.
    ada_ws.expect("file.created", |e| e["type"] == "file.created").await;
    ada_ws.expect("file.updated", |e| e["type"] == "file.updated" && e["data"]["thumbnail_state"] == "ready").await;
}

#[tokio::test]
async fn delete_removes_the_blob_and_quota_is_enforced() {
    let quota: u64 = 1024 * 1024;
    let app = fs::spawn(|s| s.files.workspace_quota_bytes = quota).await;
    let store = Inspect::of(&app);
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    let mut bob_ws = Ws::connect(&bob).await;

    let first = fs::upload(&ada, general, "one.bin", fs::patterned(600 * 1024)).await.expect(201).body;
    fs::upload(&ada, general, "two.bin", fs::patterned(600 * 1024)).await.expect_err(413, "storage_quota_exceeded");
    fs::upload_streamed(&ada, general, "two.bin", 600 * 1024).await.expect_err(413, "storage_quota_exceeded");
    let usage = ada.get(&format!("/api/v1/workspaces/{ws}/storage")).await.expect(200).body;
    assert_eq!((usage["used_bytes"].as_u64(), usage["quota_bytes"].as_u64()), (Some(600 * 1024), Some(quota)));

    let msg = post_with_files(&ada, general, "one", &[id(&first)]).await.expect(201).body;
    let path = format!("/api/v1/files/{}", id(&first));
    bob.delete(&path).await.expect_err(403, "not_allowed");
    ada.delete(&path).await.expect(204);
    ada.delete(&path).await.expect_err(404, "file_not_found");
    let gone = bob_ws.expect("file.deleted", |e| e["type"] == "file.deleted").await;
    assert_eq!(gone["data"]["message_id"], msg["id"]);
    assert_eq!(bob.request(reqwest::Method::GET, &format!("{path}/content")).send().await.expect("get").status(), 404);
    assert!(bob.history(general, "").await[0]["files"].as_array().expect("files").is_empty());

    // The blob goes by job; the room is free at once.
    wait_until_empty(&store, ws).await;
    let second = fs::upload(&ada, general, "two.bin", fs::patterned(600 * 1024)).await.expect(201).body;

    // Deleting a message deletes what it carried.
    let msg = post_with_files(&ada, general, "two", &[id(&second)]).await.expect(201).body;
    ada.delete(&format!("/api/v1/messages/{}", id(&msg))).await.expect(204);
    ada.get(&format!("/api/v1/files/{}", id(&second))).await.expect_err(404, "file_not_found");
    wait_until_empty(&store, ws).await;
}

pub async fn wait_until_empty(store: &Inspect, ws: Uuid) {
    for _ in 0..200 {
        if store.leftovers(ws).await.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("blobs left behind: {:?}", store.leftovers(ws).await);
}

#[tokio::test]
async fn a_storage_outage_answers_503_stores_nothing_and_recovers() {
    let env = fs::s3_env();
    let mut proxy = match &env {
        Some(env) => Some(Proxy::new(&env.endpoint).await),
        None => None,
    };
    let proxy_url = proxy.as_ref().map(Proxy::url);
    let app = fs::spawn(|s| {
        if let (Some(env), Some(url)) = (&env, &proxy_url) {
            fs::use_s3(s, env, url);
        }
    })
    .await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    fs::upload(&ada, general, "before.txt", b"fine".to_vec()).await.expect(201);

    // Take the store away: the S3 server behind the proxy, or the local directory.
    let local_dir = app.data_dir().join("files");
    match proxy.as_mut() {
        Some(p) => p.stop(),
        None => {
            std::fs::remove_dir_all(&local_dir).expect("remove files dir");
            std::fs::write(&local_dir, b"not a directory").expect("block files dir");
        }
    }
    for bytes in [b"small".to_vec(), fs::patterned(11 * 1024 * 1024)] {
        let r = fs::upload(&ada, general, "during.bin", bytes).await;
        r.expect_err(503, "storage_unavailable");
    }
    let rows = parley::files::model::file::Entity::find().count(&app.state.db.conn).await.expect("count");
    assert_eq!(rows, 1, "a failed upload leaves no row");

    match proxy.as_mut() {
        Some(p) => p.start().await,
        None => std::fs::remove_file(&local_dir).expect("unblock files dir"),
    }
    let after = fs::patterned(11 * 1024 * 1024);
    let up = fs::upload(&ada, general, "after.bin", after.clone()).await.expect(201).body;
    post_with_files(&ada, general, "back", &[id(&up)]).await.expect(201);
    let got = download(&ada, &format!("/api/v1/files/{}/content", id(&up))).await;
    assert_eq!(got.bytes().await.expect("bytes").as_ref(), after.as_slice());
}

#[tokio::test]
async fn signed_links_expire() {
    let Some(env) = fs::s3_env() else {
        eprintln!("skipped: PARLEY_TEST_S3_ENDPOINT is not set (signed links exist only on S3)");
        return;
    };
    let app = fs::spawn(|s| {
        fs::use_s3(s, &env, &env.endpoint);
        // Long enough that a loaded CI machine still fetches the fresh link in time.
        s.files.s3.presign_ttl_s = 4;
    })
    .await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let up = fs::upload(&ada, general, "x.txt", b"expiring".to_vec()).await.expect(201).body;
    let r = ada.request(reqwest::Method::GET, &format!("/api/v1/files/{}/content", id(&up))).send().await.expect("get");
    assert_eq!(r.status(), 302);
    let url = r.headers()["location"].to_str().expect("location").to_owned();
    assert_eq!(reqwest::get(&url).await.expect("fetch").status(), 200);
    let tampered = format!("{url}&response-content-disposition=inline");
    assert_eq!(reqwest::get(&tampered).await.expect("fetch").status(), 403, "a changed link is refused");
    // Signing dates are whole seconds, so wait the TTL plus one second and a margin.
    tokio::time::sleep(Duration::from_millis(5500)).await;
    assert_eq!(reqwest::get(&url).await.expect("fetch").status(), 403, "an expired link is refused");
}
