//! Writing files the way a running nginx needs them: atomically (a temp file in the same
//! directory, fsync, rename), so the module's hot reload never reads half a key set, and with
//! owner-only permissions for anything that holds secret key material.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Context, Result};
use crate::fail;

/// Who may read a file this tool writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Private keys: 0600, always.
    OwnerOnly,
    /// Key sets holding HMAC secrets: 0600 when new; a replaced file keeps its owner, group and
    /// group permissions (nginx workers may read it through a group), never access for others.
    Secret,
    /// Public keys and sets, which nginx workers (often another user) must read: 0644 when
    /// new; a replaced file keeps its owner, group and mode.
    Public,
}

/// Largest file this tool reads (key files, claims, tokens): the module's own key file cap.
const MAX_READ_BYTES: u64 = auth_jwt_core::MAX_KEY_FILE_BYTES as u64;

/// What to do when the target exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    Refuse,
    Replace,
}

/// Writes `bytes` to `path` atomically with `mode`. With [`Existing::Refuse`] an existing
/// file is an error (a private key is never overwritten by accident).
///
/// What a replaced file keeps is [`Access`]'s choice.
pub fn write_atomic(path: &Path, bytes: &[u8], access: Access, existing: Existing) -> Result<()> {
    let previous = fs::metadata(path).ok();
    if existing == Existing::Refuse && (previous.is_some() || fs::symlink_metadata(path).is_ok()) {
        fail!("{}: file exists (use --force to replace it)", path.display());
    }
    let kept = previous.as_ref().map(|meta| meta.permissions().mode());
    let mode = match (access, kept) {
        (Access::OwnerOnly, _) | (Access::Secret, None) => 0o600,
        (Access::Secret, Some(kept)) => kept & 0o770,
        (Access::Public, None) => 0o644,
        (Access::Public, Some(kept)) => kept & 0o777,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if name.is_empty() {
        fail!("{}: not a file name", path.display());
    }
    // A dot name in the same directory: the rename stays on one file system (so it is atomic),
    // and directory watchers that ignore dot files never pick up the temp file.
    let (temp_path, mut temp) = create_temp(&dir, &name, mode)?;
    if let (Some(meta), false) = (&previous, access == Access::OwnerOnly) {
        use std::os::unix::fs::MetadataExt;
        // Only root may give a file away; for others this keeps what it can (or nothing).
        let _ = std::os::unix::fs::fchown(&temp, Some(meta.uid()), Some(meta.gid()));
    }
    let written = temp
        .write_all(bytes)
        .and_then(|()| temp.sync_all())
        .context(format_args!("{}", temp_path.display()));
    drop(temp);
    let renamed = written
        .and_then(|()| fs::rename(&temp_path, path).context(format_args!("{}", path.display())));
    if renamed.is_err() {
        let _ = fs::remove_file(&temp_path);
        return renamed;
    }
    // The rename is durable only once the directory entry is.
    if let Ok(dir) = File::open(&dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

fn create_temp(dir: &Path, name: &str, mode: u32) -> Result<(PathBuf, File)> {
    let pid = std::process::id();
    for attempt in 0..100u32 {
        let temp_path = dir.join(format!(".{name}.{pid}.{attempt}.tmp"));
        match OpenOptions::new().write(true).create_new(true).mode(mode).open(&temp_path) {
            Ok(file) => {
                // The umask may have removed bits from `mode`; the result must be exact.
                file.set_permissions(fs::Permissions::from_mode(mode))
                    .context(format_args!("{}", temp_path.display()))?;
                return Ok((temp_path, file));
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(err) => fail!("{}: {}", temp_path.display(), io_text(&err)),
        }
    }
    fail!("{}: cannot create a temporary file", dir.display())
}

/// Reads a whole file (`-` is standard input), refusing anything larger than the module's key
/// file limit.
pub fn read_limited(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let shown = path.display();
    if path == Path::new("-") {
        std::io::stdin()
            .take(MAX_READ_BYTES + 1)
            .read_to_end(&mut bytes)
            .context("standard input")?;
    } else {
        let file = File::open(path)
            .map_err(|e| crate::error::CliError(format!("{shown}: {}", io_text(&e))))?;
        file.take(MAX_READ_BYTES + 1).read_to_end(&mut bytes).context(&shown)?;
    }
    if bytes.len() as u64 > MAX_READ_BYTES {
        fail!("{shown}: larger than {MAX_READ_BYTES} bytes");
    }
    Ok(bytes)
}

/// `No such file or directory (os error 2)` → `no such file or directory`.
pub fn io_text(err: &std::io::Error) -> String {
    let text = err.to_string();
    let text = text.find(" (os error").map_or(text.as_str(), |end| &text[..end]);
    let mut out = text.to_owned();
    if let Some(first) = out.get_mut(..1) {
        first.make_ascii_lowercase();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("auth-jwt-test-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn mode_of(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn secret_files_are_owner_only_whatever_the_umask() {
        let dir = temp_dir("mode");
        let key = dir.join("key.jwk");
        write_atomic(&key, b"{}", Access::OwnerOnly, Existing::Refuse).unwrap();
        assert_eq!(mode_of(&key), 0o600);
        let public = dir.join("key.pub.jwk");
        write_atomic(&public, b"{}", Access::Public, Existing::Refuse).unwrap();
        assert_eq!(mode_of(&public), 0o644);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn existing_files_are_refused_unless_replacing() {
        let dir = temp_dir("exists");
        let key = dir.join("key.jwk");
        write_atomic(&key, b"first", Access::OwnerOnly, Existing::Refuse).unwrap();
        let err = write_atomic(&key, b"second", Access::OwnerOnly, Existing::Refuse).unwrap_err();
        assert!(err.0.contains("file exists (use --force"), "{err}");
        assert_eq!(fs::read(&key).unwrap(), b"first");
        write_atomic(&key, b"second", Access::OwnerOnly, Existing::Replace).unwrap();
        assert_eq!(fs::read(&key).unwrap(), b"second");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn replacing_is_a_rename_and_leaves_no_temp_file() {
        let dir = temp_dir("atomic");
        let set = dir.join("jwks.json");
        write_atomic(&set, b"old", Access::Public, Existing::Refuse).unwrap();
        let before = std::os::unix::fs::MetadataExt::ino(&fs::metadata(&set).unwrap());
        write_atomic(&set, b"new", Access::Public, Existing::Replace).unwrap();
        let after = std::os::unix::fs::MetadataExt::ino(&fs::metadata(&set).unwrap());
        // A new inode: readers that opened the old file keep reading the whole old content.
        assert_ne!(before, after);
        let names: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("jwks.json")]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn replacing_keeps_mode_but_never_others_access_to_secrets() {
        let dir = temp_dir("keep");
        let set = dir.join("jwks.json");
        write_atomic(&set, b"1", Access::Public, Existing::Refuse).unwrap();
        fs::set_permissions(&set, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&set, b"2", Access::Public, Existing::Replace).unwrap();
        assert_eq!(mode_of(&set), 0o640);
        fs::set_permissions(&set, fs::Permissions::from_mode(0o644)).unwrap();
        // Now it holds secrets: group access stays, world access goes.
        write_atomic(&set, b"3", Access::Secret, Existing::Replace).unwrap();
        assert_eq!(mode_of(&set), 0o640);
        // A private key is owner-only whatever was there before.
        write_atomic(&set, b"4", Access::OwnerOnly, Existing::Replace).unwrap();
        assert_eq!(mode_of(&set), 0o600);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failed_write_leaves_the_target_alone() {
        let dir = temp_dir("fail");
        let missing = dir.join("no-such-dir").join("jwks.json");
        let err = write_atomic(&missing, b"x", Access::Public, Existing::Replace).unwrap_err();
        assert!(err.0.contains("no such file or directory"), "{err}");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn read_errors_are_one_line() {
        let err = read_limited(Path::new("/nonexistent/key.jwk")).unwrap_err();
        assert_eq!(err.0, "/nonexistent/key.jwk: no such file or directory");
    }
}
