//! The blog's credentials: from an environment variable, or else from the file `[blog]
//! credentials` names, which must be readable by its owner only. Never from feeds.toml, never
//! printed ([`Secret`]'s `Debug` and `Display` mask it), never stored.

use std::fmt;
use std::path::Path;

use crate::config::{BlogConfig, BlogKind};

/// The Application Password of a self-hosted WordPress.
pub(crate) const PASSWORD_VAR: &str = "ROUNDUP_BLOG_PASSWORD";
/// The OAuth2 token of a WordPress.com site.
pub(crate) const TOKEN_VAR: &str = "ROUNDUP_BLOG_TOKEN";
/// The user, overriding `[blog] user`.
pub(crate) const USER_VAR: &str = "ROUNDUP_BLOG_USER";

/// A password or token: shown as `********`, whatever prints it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    /// Wraps a secret (for unit tests; the real ones are read by [`load`]).
    #[cfg(test)]
    pub(crate) fn new(secret: &str) -> Secret {
        Secret(secret.to_string())
    }

    /// The secret itself, for the one header that carries it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

/// How the push authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credentials {
    /// HTTP Basic with a user's Application Password (self-hosted WordPress).
    Basic { user: String, password: Secret },
    /// An OAuth2 bearer token (WordPress.com).
    Bearer(Secret),
}

/// Why no credentials could be had.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum CredentialError {
    #[error(
        "no credentials for the blog: set {var}, or name a file holding it with `credentials` \
         in the [blog] table of the feeds file (readable by you only: chmod 600 FILE)"
    )]
    Missing { var: &'static str },
    #[error(
        "no user for the blog: set `user` in the [blog] table (the WordPress user the \
         Application Password belongs to) or {USER_VAR}"
    )]
    NoUser,
    #[error(
        "refusing the credentials file {path}: it can be read by {who} (mode {mode:03o}); make \
         it yours alone with `chmod 600 {path}`"
    )]
    Readable { path: String, who: &'static str, mode: u32 },
    #[error("cannot read the credentials file {path}: {message}")]
    Unreadable { path: String, message: String },
    #[error("the credentials file {path} is empty")]
    Empty { path: String },
}

/// The credentials for `blog`: `env` looks up an environment variable (the real environment
/// in `app`, a map in tests).
pub(crate) fn load(
    blog: &BlogConfig,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Credentials, CredentialError> {
    let var = match blog.kind {
        BlogKind::WordPress { .. } => PASSWORD_VAR,
        BlogKind::WordPressCom { .. } => TOKEN_VAR,
    };
    let secret = match env(var).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
        Some(v) => Secret(v),
        None => match &blog.credentials {
            Some(path) => read_file(path)?,
            None => return Err(CredentialError::Missing { var }),
        },
    };
    Ok(match blog.kind {
        BlogKind::WordPress { .. } => {
            let user = env(USER_VAR)
                .filter(|u| !u.trim().is_empty())
                .or_else(|| blog.user.clone())
                .ok_or(CredentialError::NoUser)?;
            Credentials::Basic { user: user.trim().to_string(), password: secret }
        }
        BlogKind::WordPressCom { .. } => Credentials::Bearer(secret),
    })
}

/// The secret in `path`: its first non-blank line, trimmed. Refused when the group or others
/// may read (or write) the file.
fn read_file(path: &Path) -> Result<Secret, CredentialError> {
    use std::os::unix::fs::PermissionsExt;
    let shown = path.display().to_string();
    let unreadable = |e: std::io::Error| CredentialError::Unreadable {
        path: shown.clone(),
        message: e.to_string(),
    };
    let mode = std::fs::metadata(path).map_err(unreadable)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        let who = if mode & 0o007 != 0 { "everyone" } else { "its group" };
        return Err(CredentialError::Readable { path: shown, who, mode });
    }
    let text = std::fs::read_to_string(path).map_err(unreadable)?;
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| Secret(l.to_string()))
        .ok_or(CredentialError::Empty { path: shown })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn blog(credentials: Option<&Path>) -> BlogConfig {
        BlogConfig {
            kind: BlogKind::WordPress { url: url::Url::parse("https://b.example/").unwrap() },
            user: Some("editor".into()),
            credentials: credentials.map(Path::to_path_buf),
        }
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_environment_wins_over_the_file_and_the_secret_never_prints() {
        let env = |k: &str| (k == PASSWORD_VAR).then(|| "abcd efgh ijkl".to_string());
        let c = load(&blog(Some(Path::new("/nonexistent"))), env).unwrap();
        let Credentials::Basic { user, password } = &c else { panic!("{c:?}") };
        assert_eq!((user.as_str(), password.expose()), ("editor", "abcd efgh ijkl"));
        assert!(!format!("{c:?} {password}").contains("abcd"), "{c:?}");
    }

    #[test]
    fn a_file_readable_by_others_is_refused_and_an_owner_only_one_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blog-password");
        std::fs::write(&path, "\n  s3cret pass  \n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = load(&blog(Some(&path)), no_env).unwrap_err();
        assert!(matches!(e, CredentialError::Readable { who: "everyone", mode: 0o644, .. }));
        assert!(e.to_string().contains("chmod 600"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let e = load(&blog(Some(&path)), no_env).unwrap_err();
        assert!(matches!(e, CredentialError::Readable { who: "its group", .. }), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let Credentials::Basic { password, .. } = load(&blog(Some(&path)), no_env).unwrap() else {
            panic!("basic")
        };
        assert_eq!(password.expose(), "s3cret pass");
    }

    #[test]
    fn missing_credentials_or_user_say_where_to_put_them() {
        let e = load(&blog(None), no_env).unwrap_err();
        assert_eq!(e, CredentialError::Missing { var: PASSWORD_VAR });
        assert!(e.to_string().contains("ROUNDUP_BLOG_PASSWORD"), "{e}");
        let mut b = blog(None);
        b.user = None;
        let env = |k: &str| (k == PASSWORD_VAR).then(|| "p".to_string());
        assert_eq!(load(&b, env).unwrap_err(), CredentialError::NoUser);
    }
}
