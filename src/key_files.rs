//! Reading key files (`auth_jwt_key_file`) into key sets, with one-line errors that name
//! the file. Runs at configuration time, in the master process: keys are parsed once here,
//! never per request.

use std::io::Read;
use std::path::Path;

use auth_jwt_core::{KeySet, MAX_KEY_FILE_BYTES};

/// The keys of one configuration level: every `auth_jwt_key_file` of that level merged into
/// one set, or the first file that could not be used.
pub enum KeyState {
    Ready(KeySet),
    Broken { file: String, reason: String },
}

impl KeyState {
    /// Adds the outcome of loading one more file of the same level. Once a file is broken the
    /// level stays broken: NGINX Plus answers 500 if any key source of the level fails.
    pub fn add(self, file: &Path, loaded: Result<KeySet, String>) -> KeyState {
        match (self, loaded) {
            (KeyState::Ready(mut keys), Ok(more)) => {
                keys.extend(more);
                KeyState::Ready(keys)
            }
            (KeyState::Ready(_), Err(reason)) => {
                KeyState::Broken { file: file.display().to_string(), reason }
            }
            (broken @ KeyState::Broken { .. }, _) => broken,
        }
    }
}

/// Reads and parses one JWK Set (or single JWK) file.
pub fn load(path: &Path) -> Result<KeySet, String> {
    let file = std::fs::File::open(path).map_err(|err| io_reason(&err))?;
    // Read one byte past the limit so an oversized file is detected without trusting metadata
    // (the file may be a pipe or be growing while we read it).
    let mut bytes = Vec::new();
    file.take(MAX_KEY_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| io_reason(&err))?;
    if bytes.len() > MAX_KEY_FILE_BYTES {
        return Err(format!("file is larger than {MAX_KEY_FILE_BYTES} bytes"));
    }
    KeySet::from_json(&bytes).map_err(|err| err.to_string())
}

/// `No such file or directory (os error 2)` → `no such file or directory`, nginx-style.
fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    let text = match text.find(" (os error") {
        Some(end) => &text[..end],
        None => &text,
    };
    let mut reason = text.to_string();
    if let Some(first) = reason.get_mut(..1) {
        first.make_ascii_lowercase();
    }
    reason
}
