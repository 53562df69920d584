//! `auth-jwt`: the companion tool of the ngx-auth-jwt NGINX module. Makes keys, JWK Sets and
//! Kubernetes Secrets, rotates keys, signs test tokens, decodes tokens, and gives the module's
//! own verdict on a token (it runs the module's core crate).

#![forbid(unsafe_code)]

mod enc_keys;
mod encrypt;
mod error;
mod explain;
mod fetch;
mod files;
mod jwks;
mod k8s;
mod keyfile;
mod keygen;
mod keys;
mod sign;
mod time;
mod tokens;
mod verdict;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Exit status of a refused token (`verify`, `explain`) or a key file with errors
/// (`check-keys`).
const EXIT_REFUSED: u8 = 1;
/// Exit status of any other failure: bad arguments, unreadable files.
const EXIT_ERROR: u8 = 2;

#[derive(Parser)]
#[command(
    name = "auth-jwt",
    version,
    about = "Keys, JWK Sets, Kubernetes Secrets and test tokens for the ngx-auth-jwt NGINX module, \
             and the module's own verdict on a token",
    long_about = "auth-jwt makes what the ngx-auth-jwt NGINX module needs (keys of every algorithm it \
supports, JWK Sets, Kubernetes Secrets), signs tokens for testing, and explains why the module \
accepts or refuses a token. `verify`, `explain` and `check-keys` run the module's own core, so \
their verdict is the module's: the `$jwt_status` word and the reason line the module logs.\n\n\
Nothing leaves the machine: keys and tokens are never sent anywhere.",
    after_long_help = "EXIT STATUS\n  0  success; for verify/explain: the module would accept the token\n  \
1  verify/explain: the token would be refused; check-keys: the key file is unusable\n  \
2  an error (bad arguments, unreadable or invalid input files)\n\n\
EXAMPLES\n  auth-jwt keygen --alg ES256 --out key.jwk\n  \
auth-jwt jwks add --set jwks.json key.pub.jwk\n  \
auth-jwt sign --key key.jwk --sub alice --exp 1h\n  \
auth-jwt keygen --alg RSA-OAEP-256 --out enc.jwk\n  \
auth-jwt encrypt --key enc.pub.jwk --sign-key key.jwk --sub alice\n  \
auth-jwt explain --type nested --keys enc.jwk --jwks-url https://idp/jwks \"$TOKEN\"\n  \
auth-jwt explain --keys jwks.json \"$TOKEN\"\n\nSee docs/cli.md for the full manual."
)]
struct Cli {
    /// Machine-readable JSON output instead of text for people.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a key: writes the private key (mode 0600) and the public JWK.
    Keygen(keygen::KeygenArgs),
    /// Build and maintain a JWK Set: add, remove, list, rotate (atomic writes).
    #[command(subcommand)]
    Jwks(jwks::JwksCommand),
    /// Print a Kubernetes Secret manifest holding a JWK Set.
    K8sSecret(k8s::SecretArgs),
    /// Sign a token for testing.
    Sign(tokens::SignArgs),
    /// Encrypt a token for testing (JWE): the claims, or with --sign-key a signed JWT inside.
    Encrypt(encrypt::EncryptArgs),
    /// Show the header and claims of a token without verifying it.
    Decode(tokens::DecodeArgs),
    /// Check a token as the module would: outcome word and reason; exit 0 only if accepted.
    Verify(explain::VerifyArgs),
    /// Like verify, plus which key matched or why each key did not, and the times.
    Explain(explain::VerifyArgs),
    /// Load a key file exactly as the module does: same errors, same warnings.
    CheckKeys(CheckKeysArgs),
}

#[derive(Args)]
struct CheckKeysArgs {
    /// The key file (JWK Set or single JWK), as given to auth_jwt_key_file.
    file: PathBuf,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version are "errors" to clap, but successful runs to people.
            let code = if err.use_stderr() { EXIT_ERROR } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    let json = cli.json;
    let result = match cli.command {
        Command::Keygen(args) => keygen::run(&args, json),
        Command::Jwks(cmd) => jwks::run(&cmd, json),
        Command::K8sSecret(args) => k8s::run(&args, json),
        Command::Sign(args) => tokens::sign(&args, json),
        Command::Encrypt(args) => encrypt::run(&args, json),
        Command::Decode(args) => tokens::decode(&args, json),
        Command::Verify(args) => explain::run(&args, json, false),
        Command::Explain(args) => explain::run(&args, json, true),
        Command::CheckKeys(args) => explain::check_keys(&args.file, json),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(EXIT_REFUSED),
        Err(err) => {
            eprintln!("auth-jwt: {}", error::one_line(&err.0));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("auth-jwt").chain(args.iter().copied()))
    }

    #[test]
    fn argument_errors_are_reported_not_panicked() {
        for bad in [
            &["keygen"][..],                        // --alg and --out missing
            &["keygen", "--alg", "ES256"],          // --out missing
            &["sign"],                              // --key missing
            &["verify"],                            // no token
            &["jwks", "add"],                       // no --set, no key
            &["jwks", "rotate", "--set", "s.json"], // no --alg, no --private
            &["k8s-secret", "jwks.json"],           // no --name
            &["no-such-command"],
            &["verify", "--leeway"],
            &["encrypt"],                                      // --key missing
            &["encrypt", "--key", "k", "--sign-alg", "ES256"], // --sign-alg needs --sign-key
            &["verify", "--cacert", "ca.pem", "x.y.z"],        // --cacert needs --jwks-url
            &["verify", "--timeout", "5s", "x.y.z"],           // --timeout needs --jwks-url
            &["verify", "--type", "jwe", "x.y.z"],             // not an auth_jwt_type
        ] {
            let err = parse(bad).err().unwrap_or_else(|| panic!("{bad:?} parsed"));
            assert!(err.use_stderr(), "{bad:?}");
        }
    }

    #[test]
    fn help_is_not_an_error() {
        let err = parse(&["--help"]).err().unwrap();
        assert!(!err.use_stderr());
    }
}
