//! Where file bytes live: a local directory (the embedded default) or S3-compatible
//! object storage. Uploads stream through a `BlobWriter`, so no store ever holds a
//! whole file in memory.
pub mod local;
pub mod s3;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use crate::settings::{FileBackend, Settings};

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The store could not be reached or refused to work; retrying later may succeed.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("no such object")]
    NotFound,
    #[error("object is larger than {0} bytes")]
    TooLarge(u64),
}

pub type BlobResult<T> = Result<T, BlobError>;

/// How a client gets an object's bytes.
pub enum Delivery {
    /// Streamed by this server from a file (with Range support).
    LocalFile(PathBuf),
    /// A short-lived signed URL to fetch it from the store directly.
    Redirect(String),
}

/// What a download should look like to the browser.
pub struct Presentation<'a> {
    pub content_type: &'a str,
    /// A complete `Content-Disposition` value.
    pub disposition: &'a str,
}

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Starts writing the object `key`; nothing is visible under `key` until `finish`.
    async fn start(&self, key: &str) -> BlobResult<Box<dyn BlobWriter>>;
    /// Reads a whole object, refusing one larger than `max_bytes`.
    async fn read(&self, key: &str, max_bytes: u64) -> BlobResult<Vec<u8>>;
    /// Stores a small object in one call (thumbnails).
    async fn put(&self, key: &str, bytes: Vec<u8>) -> BlobResult<()>;
    /// Removes an object; removing a missing one succeeds.
    async fn delete(&self, key: &str) -> BlobResult<()>;
    /// How a reader fetches the object.
    async fn deliver(&self, key: &str, how: Presentation<'_>) -> BlobResult<Delivery>;
    /// Throws away uploads of `key` that a crashed server left unfinished.
    async fn abort_unfinished(&self, key: &str) -> BlobResult<()>;
    /// Whether the store answers (readiness).
    async fn check(&self) -> BlobResult<()>;
    fn name(&self) -> &'static str;
}

#[async_trait]
pub trait BlobWriter: Send {
    async fn write(&mut self, chunk: Bytes) -> BlobResult<()>;
    /// Makes the object visible under its key.
    async fn finish(self: Box<Self>) -> BlobResult<()>;
    /// Throws away everything written; leaves nothing behind in the store.
    async fn abort(self: Box<Self>);
}

/// Where the local store keeps its objects.
pub fn local_dir(settings: &Settings) -> std::path::PathBuf {
    if settings.files.local_dir.as_os_str().is_empty() {
        settings.server.data_dir.join("files")
    } else {
        settings.files.local_dir.clone()
    }
}

/// The store the settings ask for.
pub fn from_settings(settings: &Settings) -> anyhow::Result<Arc<dyn BlobStore>> {
    let files = &settings.files;
    Ok(match files.backend {
        FileBackend::Local => Arc::new(local::LocalStore::new(local_dir(settings))),
        FileBackend::S3 => Arc::new(s3::S3Store::new(&files.s3, Duration::from_secs(files.s3.presign_ttl_s))?),
    })
}
