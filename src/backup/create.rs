//! `parley backup DIR`: a consistent copy of a running embedded install.
use std::collections::HashSet;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::copy::{copy_file, digest, empty_dir, sync_dir, walk};
use super::{relative, Entry, Install, Manifest, DATABASE, FILES, FORMAT, KEY, MANIFEST};
use crate::settings::Settings;

/// Backs the install up into `dir` (made, or empty): the database snapshot first, then
/// the files and the key, then the manifest.
pub fn create(settings: &Settings, dir: &Path) -> anyhow::Result<Manifest> {
    let install = Install::of(settings)?;
    if !install.database.exists() {
        anyhow::bail!("no database at {}: nothing to back up", install.database.display());
    }
    empty_dir(dir)?;
    let snapshot = dir.join(DATABASE);
    {
        let live = Connection::open_with_flags(&install.database, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        live.busy_timeout(std::time::Duration::from_secs(30))?;
        let target = snapshot.to_str().ok_or_else(|| anyhow::anyhow!("the backup path is not UTF-8"))?;
        live.execute("VACUUM INTO ?1", [target])?;
    }
    let (schema, messages, listed) = read_snapshot(&snapshot)?;
    let (bytes, sha256) = digest(&snapshot)?;
    let database = Entry { path: DATABASE.into(), bytes, sha256 };

    let mut files = Vec::new();
    let mut copied = HashSet::new();
    for source in walk(&install.files)? {
        let key = relative(&install.files, &source)?;
        let path = format!("{FILES}/{key}");
        // Gone since the listing: deleted after the snapshot, or an unfinished upload.
        if let Some((bytes, sha256)) = copy_file(&source, &dir.join(&path))? {
            files.push(Entry { path, bytes, sha256 });
            copied.insert(key);
        }
    }
    let mut missing_files: Vec<String> = listed.into_iter().filter(|k| !copied.contains(k)).collect();
    missing_files.sort();

    let key = match &install.key {
        Some(source) => {
            copy_file(source, &dir.join(KEY))?.map(|(bytes, sha256)| Entry { path: KEY.into(), bytes, sha256 })
        }
        None => None,
    };
    let manifest = Manifest {
        format: FORMAT,
        parley_version: env!("CARGO_PKG_VERSION").into(),
        created_at: crate::clock::rfc3339(crate::clock::now_ms()),
        schema,
        messages,
        database,
        key,
        files,
        missing_files,
    };
    let partial = dir.join(".manifest.partial");
    std::fs::write(&partial, serde_json::to_vec_pretty(&manifest)?)?;
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, dir.join(MANIFEST))?;
    sync_dir(dir)?;
    Ok(manifest)
}

/// From the snapshot: its last migration, how many messages it holds, and the store keys
/// of the files (and thumbnails) it refers to.
fn read_snapshot(path: &Path) -> anyhow::Result<(Option<String>, i64, Vec<String>)> {
    let db = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let schema =
        db.query_row("SELECT version FROM seaql_migrations ORDER BY version DESC LIMIT 1", [], |r| r.get(0)).ok();
    let messages = db.query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))?;
    let mut stmt =
        db.prepare("SELECT storage_key, thumb_state FROM files WHERE state = 'ready' AND deleted_at IS NULL")?;
    let mut keys = Vec::new();
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (key, thumb) = row?;
        if thumb == crate::files::model::file::thumb::READY {
            keys.push(format!("{key}.thumb"));
        }
        keys.push(key);
    }
    Ok((schema, messages, keys))
}
