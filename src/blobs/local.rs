//! Blobs as files under one directory. A write goes to `.partial/<random>` and is
//! renamed into place after fsync, so a crash never leaves half a file under a key.
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use tokio::fs;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use uuid::Uuid;

use super::{BlobError, BlobResult, BlobStore, BlobWriter, Delivery, Presentation};

pub struct LocalStore {
    dir: PathBuf,
}

impl LocalStore {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// Keys are made by Parley (`ws/<uuid>/<uuid>`); anything else is refused.
    fn path(&self, key: &str) -> BlobResult<PathBuf> {
        let ok = !key.is_empty()
            && key.split('/').all(|part| {
                !part.is_empty()
                    && part != ".."
                    && !part.starts_with('.')
                    && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            });
        if !ok {
            return Err(BlobError::Unavailable(format!("refusing the object key {key:?}")));
        }
        Ok(self.dir.join(key))
    }
}

fn io_error(e: std::io::Error) -> BlobError {
    if e.kind() == ErrorKind::NotFound {
        BlobError::NotFound
    } else {
        BlobError::Unavailable(e.to_string())
    }
}

/// Any I/O failure while writing means the disk is not usable right now.
fn unavailable(e: std::io::Error) -> BlobError {
    BlobError::Unavailable(e.to_string())
}

async fn create_parent(path: &Path) -> BlobResult<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).await.map_err(unavailable)?;
    }
    Ok(())
}

#[async_trait]
impl BlobStore for LocalStore {
    async fn start(&self, key: &str) -> BlobResult<Box<dyn BlobWriter>> {
        let target = self.path(key)?;
        let partial = self.dir.join(".partial").join(Uuid::now_v7().simple().to_string());
        create_parent(&partial).await?;
        let file = fs::File::create(&partial).await.map_err(unavailable)?;
        Ok(Box::new(LocalWriter { out: BufWriter::with_capacity(256 * 1024, file), partial, target, done: false }))
    }

    async fn read(&self, key: &str, max_bytes: u64) -> BlobResult<Vec<u8>> {
        let mut file = fs::File::open(self.path(key)?).await.map_err(io_error)?;
        let len = file.metadata().await.map_err(io_error)?.len();
        if len > max_bytes {
            return Err(BlobError::TooLarge(max_bytes));
        }
        let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.read_to_end(&mut buf).await.map_err(io_error)?;
        Ok(buf)
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> BlobResult<()> {
        let mut writer = self.start(key).await?;
        writer.write(Bytes::from(bytes)).await?;
        writer.finish().await
    }

    async fn delete(&self, key: &str) -> BlobResult<()> {
        match fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(unavailable(e)),
            _ => Ok(()),
        }
    }

    async fn deliver(&self, key: &str, _how: Presentation<'_>) -> BlobResult<Delivery> {
        let path = self.path(key)?;
        fs::metadata(&path).await.map_err(io_error)?;
        Ok(Delivery::LocalFile(path))
    }

    /// Partial files have random names, not keys: `check` sweeps the old ones instead.
    async fn abort_unfinished(&self, _key: &str) -> BlobResult<()> {
        Ok(())
    }

    async fn check(&self) -> BlobResult<()> {
        fs::create_dir_all(&self.dir).await.map_err(unavailable)?;
        sweep_partials(&self.dir.join(".partial")).await;
        let meta = fs::metadata(&self.dir).await.map_err(unavailable)?;
        if meta.permissions().readonly() {
            return Err(BlobError::Unavailable(format!("{} is read-only", self.dir.display())));
        }
        Ok(())
    }

    fn name(&self) -> &'static str {
        "local"
    }
}

/// Removes partial files a crashed server left, once they are an hour old (an upload
/// still streaming writes to its file all the time).
async fn sweep_partials(dir: &Path) {
    let Ok(mut entries) = fs::read_dir(dir).await else { return };
    let hour = std::time::Duration::from_secs(3600);
    while let Ok(Some(entry)) = entries.next_entry().await {
        let old = entry.metadata().await.ok().and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok());
        if old.is_some_and(|age| age > hour) {
            let _ = fs::remove_file(entry.path()).await;
        }
    }
}

struct LocalWriter {
    out: BufWriter<fs::File>,
    partial: PathBuf,
    target: PathBuf,
    /// Set once the partial file is renamed or removed.
    done: bool,
}

/// An upload whose request was dropped midway (the client reset the connection, the
/// server is stopping) never reaches `finish` or `abort`: remove its partial file here.
impl Drop for LocalWriter {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

#[async_trait]
impl BlobWriter for LocalWriter {
    async fn write(&mut self, chunk: Bytes) -> BlobResult<()> {
        self.out.write_all(&chunk).await.map_err(unavailable)
    }

    async fn finish(mut self: Box<Self>) -> BlobResult<()> {
        let done = async {
            self.out.flush().await?;
            self.out.get_mut().sync_all().await?;
            Ok::<_, std::io::Error>(())
        }
        .await;
        if let Err(e) = done {
            let _ = fs::remove_file(&self.partial).await;
            return Err(unavailable(e));
        }
        if let Err(e) = create_parent(&self.target).await {
            let _ = fs::remove_file(&self.partial).await;
            return Err(e);
        }
        if let Err(e) = fs::rename(&self.partial, &self.target).await {
            let _ = fs::remove_file(&self.partial).await;
            return Err(unavailable(e));
        }
        self.done = true;
        Ok(())
    }

    async fn abort(mut self: Box<Self>) {
        let _ = fs::remove_file(&self.partial).await;
        self.done = true;
    }
}
