//! `parley backup` / `parley restore`: a snapshot taken while people post restores every
//! message acknowledged before it began, the files byte for byte, and refuses a damaged
//! backup or a non-empty install.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use parley::jobs::JobRegistry;
use parley::settings::Settings;
use uuid::Uuid;

use crate::files_support::upload;
use crate::helpers::{TestApp, PASSWORD};

fn scratch(what: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("parley-{what}-{}", Uuid::now_v7().simple()))
}

async fn backup(settings: &Settings, dir: &std::path::Path) -> anyhow::Result<parley::backup::Manifest> {
    let (settings, dir) = (settings.clone(), dir.to_path_buf());
    tokio::task::spawn_blocking(move || parley::backup::create(&settings, &dir)).await.expect("join")
}

async fn restore(settings: &Settings, dir: &std::path::Path) -> anyhow::Result<parley::backup::Manifest> {
    let (settings, dir) = (settings.clone(), dir.to_path_buf());
    tokio::task::spawn_blocking(move || parley::backup::restore(&settings, &dir)).await.expect("join")
}

#[tokio::test]
async fn a_backup_taken_while_people_post_restores_everything_acknowledged_before_it_began() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let bytes = b"design review notes, version 3".to_vec();
    let up = upload(&ada, general, "notes.txt", bytes.clone()).await.expect(201);
    let body = serde_json::json!({"text": "notes attached", "file_ids": [up.id()]});
    ada.post(&format!("/api/v1/channels/{general}/messages"), body).await.expect(201);
    let settings = (*app.state.settings).clone();
    let target = scratch("backup");
    let on_s3 = settings.files.backend == parley::settings::FileBackend::S3;
    if app.is_postgres() || on_s3 {
        let refused = backup(&settings, &target).await.expect_err("only embedded installs are copied");
        let why = if app.is_postgres() { "pg_dump" } else { "versioning" };
        assert!(refused.to_string().contains(why), "{refused}");
        return;
    }

    let acked: Arc<Mutex<Vec<Uuid>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (c, acked, stop) = (ada.clone(), acked.clone(), stop.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let m = c.say(general, &format!("writer {w} message {i}")).await;
                    acked.lock().expect("lock").push(m["id"].as_str().expect("id").parse().expect("uuid"));
                    i += 1;
                }
            })
        })
        .collect();
    while acked.lock().expect("lock").len() < 30 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let before: Vec<Uuid> = acked.lock().expect("lock").clone();
    let manifest = backup(&settings, &target).await.expect("backup");
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.expect("writer");
    }
    println!(
        "backup: {} messages in the snapshot; {} acknowledged before it began, {} by the end",
        manifest.messages,
        before.len(),
        acked.lock().expect("lock").len()
    );
    assert!(manifest.messages as usize > before.len());
    assert!(manifest.files.iter().any(|f| f.bytes == bytes.len() as u64), "{:?}", manifest.files);
    assert!(manifest.key.is_some(), "the sealing key travels with the backup");
    assert!(manifest.missing_files.is_empty(), "{:?}", manifest.missing_files);
    backup(&settings, &target).await.expect_err("a backup never writes over another");

    let home = scratch("restored");
    let mut there = settings.clone();
    there.server.data_dir = home.clone();
    restore(&there, &target).await.expect("restore");
    let again = restore(&there, &target).await.expect_err("only into an empty install");
    assert!(again.to_string().contains("empty"), "{again}");

    // A backup damaged since it was made is refused before anything is written.
    let damaged = manifest.files.iter().find(|f| f.bytes == bytes.len() as u64).expect("the upload");
    std::fs::write(target.join(&damaged.path), b"design review notes, version 4").expect("damage");
    let mut elsewhere = settings.clone();
    elsewhere.server.data_dir = scratch("refused");
    let refused = restore(&elsewhere, &target).await.expect_err("damaged");
    assert!(refused.to_string().contains("does not match"), "{refused}");
    assert!(!elsewhere.server.data_dir.join("parley.db").exists(), "nothing restored from a damaged backup");

    let restored = TestApp::spawn_with(|s| s.server.data_dir = home.clone(), JobRegistry::default()).await;
    let ada_again = restored.login_as("ada@acme.test", PASSWORD).await;
    for id in &before {
        ada_again.get(&format!("/api/v1/messages/{id}")).await.expect(200);
    }
    let content = ada_again.get(&format!("/api/v1/files/{}/content", up.id())).await.expect(200);
    let served = content.body.as_str().map(|s| s.as_bytes().to_vec()).unwrap_or_default();
    assert_eq!(served, bytes, "the file, byte for byte");
    ada_again.say(general, "the restored install takes new messages").await;
}
