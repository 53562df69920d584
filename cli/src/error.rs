//! The one error type of the tool: a single line for the user, printed by `main` as
//! `auth-jwt: <message>` with a non-zero exit status.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError(pub String);

pub type Result<T> = std::result::Result<T, CliError>;

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CliError {}

/// `Err(CliError)` from a format string.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => {
        return Err($crate::error::CliError(format!($($arg)*)))
    };
}

/// Turns any displayable error into a one-line [`CliError`] with some context in front.
pub trait Context<T> {
    fn context(self, what: impl fmt::Display) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|err| CliError(one_line(&format!("{what}: {err}"))))
    }
}

/// Library errors (OpenSSL's error stacks in particular) may span lines; a message here is one.
pub fn one_line(text: &str) -> String {
    text.split(['\n', '\r']).map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>().join("; ")
}
