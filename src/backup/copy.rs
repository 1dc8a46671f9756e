//! Copying with a digest, and walking a directory tree.
use std::fs::{self, File};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Copies `from` to `to` (made anew, synced to disk): its size and SHA-256. None when
/// `from` is gone.
pub fn copy_file(from: &Path, to: &Path) -> anyhow::Result<Option<(u64, String)>> {
    let mut input = match File::open(from) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(anyhow::anyhow!("reading {}: {e}", from.display())),
    };
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut output = File::create_new(to).map_err(|e| anyhow::anyhow!("writing {}: {e}", to.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut bytes = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        output.write_all(&buf[..n])?;
        bytes += n as u64;
    }
    output.sync_all()?;
    Ok(Some((bytes, format!("{:x}", hasher.finalize()))))
}

/// A file's size and SHA-256.
pub fn digest(path: &Path) -> anyhow::Result<(u64, String)> {
    let mut input = File::open(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut input, &mut hasher)?;
    Ok((bytes, format!("{:x}", hasher.finalize())))
}

/// Every regular file under `root`, skipping hidden names (the store's `.partial/`
/// uploads in progress). Nothing when `root` does not exist.
pub fn walk(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(anyhow::anyhow!("listing {}: {e}", dir.display())),
        };
        for entry in entries {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let kind = entry.file_type()?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Makes `dir` for a backup or restore: it may exist, but must hold nothing.
pub fn empty_dir(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir)?;
    if fs::read_dir(dir)?.next().is_some() {
        anyhow::bail!("{} is not empty", dir.display());
    }
    Ok(())
}

/// Syncs a directory, so the names just made in it survive a crash.
pub fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}
