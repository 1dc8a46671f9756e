//! `parley restore DIR`: a backup, checked against its manifest, into an empty install.
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::copy::{copy_file, digest, empty_dir, sync_dir};
use super::{Entry, Install, Manifest, FILES, FORMAT, MANIFEST};
use crate::settings::Settings;

/// Restores `dir` into the install the settings describe, which must hold nothing yet.
/// Every copied file is checked against the manifest before anything is written.
pub fn restore(settings: &Settings, dir: &Path) -> anyhow::Result<Manifest> {
    let install = Install::of(settings)?;
    let manifest: Manifest = match std::fs::read(dir.join(MANIFEST)) {
        Ok(bytes) => serde_json::from_slice(&bytes)?,
        Err(_) => anyhow::bail!("{} has no {MANIFEST}: not a finished backup", dir.display()),
    };
    if manifest.format != FORMAT {
        anyhow::bail!("backup format {} is not one this version restores ({FORMAT})", manifest.format);
    }
    let entries = || std::iter::once(&manifest.database).chain(&manifest.key).chain(&manifest.files);
    for entry in entries() {
        check(dir, entry)?;
    }
    for path in [&install.database, &with_suffix(&install.database, "-wal")].into_iter().chain(&install.key) {
        if path.exists() {
            anyhow::bail!("{} exists: restore only into an empty install", path.display());
        }
    }
    if let Some(parent) = install.database.parent() {
        std::fs::create_dir_all(parent)?;
    }
    empty_dir(&install.files)?;

    let partial = with_suffix(&install.database, ".restoring");
    let _ = std::fs::remove_file(&partial);
    copy_checked(dir, &manifest.database, &partial)?;
    let verdict: String = Connection::open_with_flags(&partial, OpenFlags::SQLITE_OPEN_READ_ONLY)?.query_row(
        "PRAGMA integrity_check",
        [],
        |r| r.get(0),
    )?;
    if verdict != "ok" {
        anyhow::bail!("the restored database fails SQLite's integrity check: {verdict}");
    }
    for entry in &manifest.files {
        let key = entry.path.strip_prefix(&format!("{FILES}/")).unwrap_or(&entry.path);
        copy_checked(dir, entry, &install.files.join(key))?;
    }
    if let (Some(entry), Some(path)) = (&manifest.key, &install.key) {
        copy_checked(dir, entry, path)?;
        restrict(path)?;
    }
    // The database last: an install is not there until its database is.
    std::fs::rename(&partial, &install.database)?;
    if let Some(parent) = install.database.parent() {
        sync_dir(parent)?;
    }
    Ok(manifest)
}

/// `path` with `suffix` appended to its file name (`parley.db` → `parley.db-wal`).
fn with_suffix(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The backup's copy of `entry` has the size and digest the manifest gives.
fn check(dir: &Path, entry: &Entry) -> anyhow::Result<()> {
    if entry.path.split('/').any(|p| p.is_empty() || p == ".." || p.starts_with('.')) {
        anyhow::bail!("the manifest names {:?}, which is not a path inside the backup", entry.path);
    }
    let (bytes, sha256) = digest(&dir.join(&entry.path))?;
    if (bytes, sha256.as_str()) != (entry.bytes, entry.sha256.as_str()) {
        anyhow::bail!("{} does not match the manifest (changed or damaged since the backup)", entry.path);
    }
    Ok(())
}

/// Copies and checks again what was written.
fn copy_checked(dir: &Path, entry: &Entry, to: &Path) -> anyhow::Result<()> {
    let copied = copy_file(&dir.join(&entry.path), to)?;
    if copied.as_ref().map(|(b, s)| (*b, s.as_str())) != Some((entry.bytes, entry.sha256.as_str())) {
        anyhow::bail!("{} changed while it was restored", entry.path);
    }
    Ok(())
}

#[cfg(unix)]
fn restrict(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_: &Path) -> anyhow::Result<()> {
    Ok(())
}
