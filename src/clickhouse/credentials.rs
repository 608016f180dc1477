//! Who Verdict connects as: `--user` (or a user in the address) with the password from
//! `VERDICT_CLICKHOUSE_PASSWORD`, or a config file readable by its owner only
//! (`~/.config/verdict/clickhouse.toml`, or `VERDICT_CLICKHOUSE_CONFIG`): `user = "..."`,
//! `password = "..."`. The password is never printed: `Debug` hides it.

use super::error::ClickHouseError;
use std::path::{Path, PathBuf};

/// The environment variable holding the password.
pub const PASSWORD_ENV: &str = "VERDICT_CLICKHOUSE_PASSWORD";
/// The environment variable naming the config file.
pub const CONFIG_ENV: &str = "VERDICT_CLICKHOUSE_CONFIG";

/// A user and password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// User (ClickHouse's `default` when None).
    pub user: Option<String>,
    password: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ConfigFile {
    user: Option<String>,
    password: Option<String>,
}

impl Credentials {
    /// A user and password given directly (tests, the window's dialog).
    pub fn new(user: Option<String>, password: Option<String>) -> Self {
        Self {
            user: user.filter(|u| !u.is_empty()),
            password: password.filter(|p| !p.is_empty()),
        }
    }

    /// The password, for the request header only.
    pub(crate) fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// Whether a password is set (for messages: "with a password").
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// Credentials from `user` (flag or address), the password variable, else the config
    /// file (which must not be readable by group or others).
    pub fn resolve(user: Option<String>) -> Result<Self, ClickHouseError> {
        let file = std::env::var_os(CONFIG_ENV)
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .map(|h| Path::new(&h).join(".config/verdict/clickhouse.toml"))
            })
            .filter(|p| p.is_file());
        let from_file = match &file {
            Some(p) => read_config(p)?,
            None => ConfigFile::default(),
        };
        let password = std::env::var(PASSWORD_ENV).ok().or(from_file.password);
        Ok(Self::new(user.or(from_file.user), password))
    }
}

fn read_config(path: &Path) -> Result<ConfigFile, ClickHouseError> {
    let shown = path.display().to_string();
    let bad = |problem: String| ClickHouseError::Credentials {
        file: shown.clone(),
        problem,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| bad(format!("cannot read: {e}")))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(bad(format!(
                "holds a password but is readable by others (mode {:o}); chmod 600 it",
                mode & 0o777
            )));
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    toml::from_str(&text).map_err(|e| {
        bad(format!(
            "not a valid config: {}",
            e.message().lines().next().unwrap_or("")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_never_printed_and_open_files_are_refused() {
        let c = Credentials::new(Some("analyst".into()), Some("hunter2".into()));
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("analyst"),
            "{shown}"
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("clickhouse.toml");
        std::fs::write(&p, "user = \"a\"\npassword = \"hunter2\"\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = read_config(&p).err().unwrap().to_string();
            assert!(e.contains("chmod 600") && !e.contains("hunter2"), "{e}");
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let c = read_config(&p).unwrap();
        assert_eq!(c.password.as_deref(), Some("hunter2"));
    }
}
