//! Backups of an embedded install (SQLite and local files) taken while it serves, and
//! their restore into an empty data directory. A backup directory holds:
//! - `parley.db`: a consistent snapshot made by SQLite's `VACUUM INTO` (one read
//!   transaction, so writers carry on and the copy is exactly one committed state);
//! - `files/`: the file store's objects (uploads and thumbnails), copied after the
//!   snapshot, so every file the snapshot knows was already in place;
//! - `secret.key`: the key that seals stored secrets (webhook and provider secrets),
//!   when it lives in the data directory — keep backups as private as the server;
//! - `manifest.json`, written last: each of them with its size and SHA-256. A directory
//!   without it is an unfinished backup and is never restored.
//!
//! PostgreSQL installs are backed up with `pg_dump` and the bucket's versioning
//! (docs/RELIABILITY.md); `create` says so instead of copying half an install.
mod copy;
mod create;
mod restore;

use std::path::{Path, PathBuf};

use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

pub use create::create;
pub use restore::restore;

use crate::settings::Settings;

pub const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "parley.db";
const FILES: &str = "files";
const KEY: &str = "secret.key";
/// The manifest's layout; a restore refuses any other.
const FORMAT: u32 = 1;

/// One copied file: where it is in the backup, its size and digest.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Serialize, Deserialize, Debug)]
pub struct Manifest {
    pub format: u32,
    pub parley_version: String,
    pub created_at: String,
    /// The last migration the snapshot had applied.
    pub schema: Option<String>,
    /// Messages in the snapshot (tombstones included), for a quick look.
    pub messages: i64,
    pub database: Entry,
    pub key: Option<Entry>,
    pub files: Vec<Entry>,
    /// Objects the snapshot lists that were gone by the time they were copied (deleted
    /// in the meantime); their messages show them as missing after a restore.
    pub missing_files: Vec<String>,
}

/// Where an embedded install keeps what a backup holds.
struct Install {
    database: PathBuf,
    files: PathBuf,
    /// The key file, when the key is not given in the configuration.
    key: Option<PathBuf>,
}

impl Install {
    fn of(settings: &Settings) -> anyhow::Result<Self> {
        let database = sqlite_path(&settings.database_url()).ok_or_else(|| {
            anyhow::anyhow!(
                "this install keeps its messages in PostgreSQL: back it up with pg_dump and the file \
                 bucket's versioning (docs/RELIABILITY.md); parley backup copies embedded installs"
            )
        })?;
        if settings.files.backend != crate::settings::FileBackend::Local {
            anyhow::bail!(
                "files are kept in S3: back them up with the bucket's versioning (docs/RELIABILITY.md); \
                 parley backup copies embedded installs (SQLite and local files)"
            );
        }
        let files = crate::blobs::local_dir(settings);
        let key = settings
            .server
            .secret_key
            .expose_secret()
            .trim()
            .is_empty()
            .then(|| settings.server.data_dir.join(crate::auth::sealed::KEY_FILE));
        Ok(Self { database, files, key })
    }
}

/// The database file of a `sqlite:` URL.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

fn relative(root: &Path, path: &Path) -> anyhow::Result<String> {
    let rel = path.strip_prefix(root)?;
    Ok(rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"))
}

#[cfg(test)]
mod tests {
    use super::sqlite_path;

    #[test]
    fn the_database_file_is_read_from_sqlite_urls_only() {
        assert_eq!(
            sqlite_path("sqlite:///var/lib/parley/parley.db?mode=rwc").as_deref(),
            Some("/var/lib/parley/parley.db".as_ref())
        );
        assert_eq!(sqlite_path("sqlite:data/parley.db").as_deref(), Some("data/parley.db".as_ref()));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://db/parley"), None);
    }
}
