//! Server settings: built-in defaults, then an optional TOML file (`--config PATH`, or
//! `fieldcrm.toml` in the working directory if present), then `FIELDCRM__*` environment
//! variables, then command-line flags. Zero configuration works: SQLite under
//! `./fieldcrm-data/`, a JWT secret generated once and kept in `<data_dir>/jwt-secret`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Name of the settings file looked for in the working directory.
pub const DEFAULT_CONFIG_FILE: &str = "fieldcrm.toml";

/// Errors while loading settings.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The settings file could not be read.
    #[error("cannot read settings file {path}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The settings file is not valid TOML for these settings.
    #[error("invalid settings file {path}: {source}")]
    ParseFile {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: toml::de::Error,
    },
    /// A value (from any layer) is invalid.
    #[error("invalid setting {name}: {message}")]
    Invalid {
        /// The setting (e.g. `FIELDCRM__LISTEN` or `listen`).
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The generated JWT secret could not be read or written.
    #[error("cannot use JWT secret file {path}: {source}")]
    SecretFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The effective settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Address to listen on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Database URL (`sqlite://…` or `postgres://…`).
    pub database_url: String,
    /// Directory for the SQLite database and the generated JWT secret.
    pub data_dir: PathBuf,
    /// The configured JWT secret; `None` means generate one in `data_dir` (see
    /// [`Settings::jwt_secret_bytes`]).
    pub jwt_secret: Option<String>,
    /// Lifetime of access tokens, seconds.
    pub access_token_ttl_secs: u64,
    /// Lifetime of refresh tokens, seconds.
    pub refresh_token_ttl_secs: u64,
    /// Largest sync WebSocket frame accepted, bytes.
    pub max_frame_bytes: usize,
    /// Largest REST request body accepted, bytes.
    pub max_body_bytes: usize,
    /// Largest attachment (photo) accepted by `PUT /api/v1/attachments/{sha256}`, bytes.
    pub max_attachment_bytes: usize,
    /// The company's name at the head of printed documents (orders); `None`: "FieldCRM".
    pub company_name: Option<String>,
    /// Mark the back office's cookies `Secure` (browsers then send them over HTTPS only): on
    /// when the server is reached through TLS (a reverse proxy), off for plain http.
    pub secure_cookies: bool,
}

/// One layer of settings: every field optional. Used for the file, the environment and the
/// command line.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SettingsLayer {
    /// See [`Settings::listen`].
    pub listen: Option<String>,
    /// See [`Settings::database_url`].
    pub database_url: Option<String>,
    /// See [`Settings::data_dir`].
    pub data_dir: Option<PathBuf>,
    /// See [`Settings::jwt_secret`].
    pub jwt_secret: Option<String>,
    /// See [`Settings::access_token_ttl_secs`].
    pub access_token_ttl_secs: Option<u64>,
    /// See [`Settings::refresh_token_ttl_secs`].
    pub refresh_token_ttl_secs: Option<u64>,
    /// See [`Settings::max_frame_bytes`].
    pub max_frame_bytes: Option<usize>,
    /// See [`Settings::max_body_bytes`].
    pub max_body_bytes: Option<usize>,
    /// See [`Settings::max_attachment_bytes`].
    pub max_attachment_bytes: Option<usize>,
    /// See [`Settings::company_name`].
    pub company_name: Option<String>,
    /// See [`Settings::secure_cookies`].
    pub secure_cookies: Option<bool>,
}

impl SettingsLayer {
    /// Values of `other` override those of `self`.
    pub fn merge(self, other: SettingsLayer) -> SettingsLayer {
        SettingsLayer {
            listen: other.listen.or(self.listen),
            database_url: other.database_url.or(self.database_url),
            data_dir: other.data_dir.or(self.data_dir),
            jwt_secret: other.jwt_secret.or(self.jwt_secret),
            access_token_ttl_secs: other.access_token_ttl_secs.or(self.access_token_ttl_secs),
            refresh_token_ttl_secs: other.refresh_token_ttl_secs.or(self.refresh_token_ttl_secs),
            max_frame_bytes: other.max_frame_bytes.or(self.max_frame_bytes),
            max_body_bytes: other.max_body_bytes.or(self.max_body_bytes),
            max_attachment_bytes: other.max_attachment_bytes.or(self.max_attachment_bytes),
            company_name: other.company_name.or(self.company_name),
            secure_cookies: other.secure_cookies.or(self.secure_cookies),
        }
    }

    /// Reads a TOML settings file.
    pub fn from_file(path: &Path) -> Result<SettingsLayer, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| SettingsError::ParseFile {
            path: path.to_owned(),
            source,
        })
    }

    /// Reads the `FIELDCRM__*` variables through `var` (the process environment in
    /// [`Settings::load`]; a map in tests).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<SettingsLayer, SettingsError> {
        fn number<T: std::str::FromStr>(
            var: &impl Fn(&str) -> Option<String>,
            name: &str,
        ) -> Result<Option<T>, SettingsError>
        where
            T::Err: std::fmt::Display,
        {
            var(name)
                .map(|v| {
                    v.trim()
                        .parse()
                        .map_err(|e: T::Err| SettingsError::Invalid {
                            name: name.to_owned(),
                            message: e.to_string(),
                        })
                })
                .transpose()
        }
        Ok(SettingsLayer {
            listen: var("FIELDCRM__LISTEN"),
            database_url: var("FIELDCRM__DATABASE_URL"),
            data_dir: var("FIELDCRM__DATA_DIR").map(PathBuf::from),
            jwt_secret: var("FIELDCRM__JWT_SECRET"),
            access_token_ttl_secs: number(&var, "FIELDCRM__ACCESS_TOKEN_TTL_SECS")?,
            refresh_token_ttl_secs: number(&var, "FIELDCRM__REFRESH_TOKEN_TTL_SECS")?,
            max_frame_bytes: number(&var, "FIELDCRM__MAX_FRAME_BYTES")?,
            max_body_bytes: number(&var, "FIELDCRM__MAX_BODY_BYTES")?,
            max_attachment_bytes: number(&var, "FIELDCRM__MAX_ATTACHMENT_BYTES")?,
            company_name: var("FIELDCRM__COMPANY_NAME"),
            secure_cookies: number(&var, "FIELDCRM__SECURE_COOKIES")?,
        })
    }
}

impl Settings {
    /// Loads the settings: defaults, then `config` (or `fieldcrm.toml` in the working
    /// directory if present), then the process environment, then `cli`.
    pub fn load(config: Option<&Path>, cli: SettingsLayer) -> Result<Settings, SettingsError> {
        let file = match config {
            Some(path) => SettingsLayer::from_file(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                SettingsLayer::from_file(Path::new(DEFAULT_CONFIG_FILE))?
            }
            None => SettingsLayer::default(),
        };
        let env = SettingsLayer::from_env(|name| std::env::var(name).ok())?;
        Settings::from_layer(file.merge(env).merge(cli))
    }

    /// Completes a merged layer with the defaults and validates it.
    pub fn from_layer(layer: SettingsLayer) -> Result<Settings, SettingsError> {
        let listen = layer.listen.as_deref().unwrap_or("127.0.0.1:8080");
        let listen = listen.parse().map_err(|e| SettingsError::Invalid {
            name: "listen".into(),
            message: format!("{listen:?}: {e}"),
        })?;
        let data_dir = layer
            .data_dir
            .unwrap_or_else(|| PathBuf::from("./fieldcrm-data"));
        let database_url = layer
            .database_url
            .unwrap_or_else(|| format!("sqlite://{}/fieldcrm.db", data_dir.display()));
        let access_token_ttl_secs = layer.access_token_ttl_secs.unwrap_or(900);
        let refresh_token_ttl_secs = layer.refresh_token_ttl_secs.unwrap_or(30 * 24 * 3600);
        if access_token_ttl_secs == 0 || refresh_token_ttl_secs == 0 {
            return Err(SettingsError::Invalid {
                name: "access_token_ttl_secs/refresh_token_ttl_secs".into(),
                message: "must be positive".into(),
            });
        }
        if let Some(secret) = &layer.jwt_secret
            && secret.len() < 32
        {
            return Err(SettingsError::Invalid {
                name: "jwt_secret".into(),
                message: "must be at least 32 bytes".into(),
            });
        }
        Ok(Settings {
            listen,
            database_url,
            data_dir,
            jwt_secret: layer.jwt_secret,
            access_token_ttl_secs,
            refresh_token_ttl_secs,
            max_frame_bytes: layer.max_frame_bytes.unwrap_or(8 * 1024 * 1024),
            max_body_bytes: layer.max_body_bytes.unwrap_or(1024 * 1024),
            max_attachment_bytes: layer
                .max_attachment_bytes
                .unwrap_or(fieldcrm_core::attachment::DEFAULT_MAX_BYTES),
            company_name: layer
                .company_name
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty()),
            secure_cookies: layer.secure_cookies.unwrap_or(false),
        })
    }

    /// The HS256 key: the configured secret, or 32 random bytes generated on first use and kept
    /// in `<data_dir>/jwt-secret` (mode 0600) so restarts keep tokens valid.
    pub fn jwt_secret_bytes(&self) -> Result<Vec<u8>, SettingsError> {
        if let Some(secret) = &self.jwt_secret {
            return Ok(secret.as_bytes().to_vec());
        }
        let path = self.data_dir.join("jwt-secret");
        let err = |source| SettingsError::SecretFile {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim()).map_err(|e| SettingsError::Invalid {
                    name: path.display().to_string(),
                    message: e.to_string(),
                })?;
                if bytes.len() < 32 {
                    return Err(SettingsError::Invalid {
                        name: path.display().to_string(),
                        message: "secret shorter than 32 bytes".into(),
                    });
                }
                Ok(bytes)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&self.data_dir).map_err(err)?;
                let mut bytes = vec![0u8; 32];
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                match options.open(&path) {
                    Ok(mut file) => {
                        file.write_all(hex::encode(&bytes).as_bytes())
                            .and_then(|()| file.sync_all())
                            .map_err(err)?;
                        Ok(bytes)
                    }
                    // Another process created it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        self.jwt_secret_bytes()
                    }
                    Err(e) => Err(err(e)),
                }
            }
            Err(e) => Err(err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn defaults_need_no_configuration() {
        let s = Settings::from_layer(SettingsLayer::default()).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.database_url, "sqlite://./fieldcrm-data/fieldcrm.db");
        assert_eq!(s.access_token_ttl_secs, 900);
        assert_eq!(s.refresh_token_ttl_secs, 2_592_000);
        assert_eq!(s.max_frame_bytes, 8 * 1024 * 1024);
    }

    #[test]
    fn layers_override_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\ndata_dir = \"/srv/crm\"\naccess_token_ttl_secs = 60\n",
        )
        .unwrap();
        let file = SettingsLayer::from_file(&file).unwrap();
        let vars: HashMap<&str, &str> = [
            ("FIELDCRM__LISTEN", "127.0.0.1:9001"),
            ("FIELDCRM__REFRESH_TOKEN_TTL_SECS", "120"),
        ]
        .into();
        let env = SettingsLayer::from_env(|k| vars.get(k).map(|v| v.to_string())).unwrap();
        let cli = SettingsLayer {
            database_url: Some("postgres://x@h/db".into()),
            ..SettingsLayer::default()
        };
        let s = Settings::from_layer(file.merge(env).merge(cli)).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:9001");
        assert_eq!(s.data_dir, PathBuf::from("/srv/crm"));
        assert_eq!(s.access_token_ttl_secs, 60);
        assert_eq!(s.refresh_token_ttl_secs, 120);
        assert_eq!(s.database_url, "postgres://x@h/db");
        assert_eq!(s.max_attachment_bytes, 10 * 1024 * 1024);
        let env = SettingsLayer::from_env(|k| {
            (k == "FIELDCRM__MAX_ATTACHMENT_BYTES").then(|| "5".into())
        })
        .unwrap();
        assert_eq!(Settings::from_layer(env).unwrap().max_attachment_bytes, 5);
    }

    #[test]
    fn secure_cookies_from_the_environment() {
        let on = |name: &str| (name == "FIELDCRM__SECURE_COOKIES").then(|| "true".to_owned());
        let s = Settings::from_layer(SettingsLayer::from_env(on).unwrap()).unwrap();
        assert!(s.secure_cookies);
        assert!(
            !Settings::from_layer(SettingsLayer::default())
                .unwrap()
                .secure_cookies
        );
        let bad = |name: &str| (name == "FIELDCRM__SECURE_COOKIES").then(|| "yes".to_owned());
        assert!(SettingsLayer::from_env(bad).is_err());
    }

    #[test]
    fn company_name_is_trimmed_and_blank_is_none() {
        let env = |name: &str| (name == "FIELDCRM__COMPANY_NAME").then(|| " 华联 Co ".to_owned());
        let s = Settings::from_layer(SettingsLayer::from_env(env).unwrap()).unwrap();
        assert_eq!(s.company_name.as_deref(), Some("华联 Co"));
        let blank = SettingsLayer {
            company_name: Some("   ".into()),
            ..SettingsLayer::default()
        };
        assert_eq!(Settings::from_layer(blank).unwrap().company_name, None);
        assert_eq!(
            Settings::from_layer(SettingsLayer::default())
                .unwrap()
                .company_name,
            None
        );
    }

    #[test]
    fn database_defaults_under_data_dir_and_bad_values_fail() {
        let s = Settings::from_layer(SettingsLayer {
            data_dir: Some("/tmp/x".into()),
            ..SettingsLayer::default()
        })
        .unwrap();
        assert_eq!(s.database_url, "sqlite:///tmp/x/fieldcrm.db");
        assert!(
            SettingsLayer::from_env(|k| (k == "FIELDCRM__MAX_FRAME_BYTES").then(|| "lots".into()))
                .is_err()
        );
        assert!(
            Settings::from_layer(SettingsLayer {
                listen: Some("nowhere".into()),
                ..SettingsLayer::default()
            })
            .is_err()
        );
        let bad_file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(bad_file.path(), "unknown_key = 1\n").unwrap();
        assert!(SettingsLayer::from_file(bad_file.path()).is_err());
    }

    #[test]
    fn generated_jwt_secret_persists() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings::from_layer(SettingsLayer {
            data_dir: Some(dir.path().join("data")),
            ..SettingsLayer::default()
        })
        .unwrap();
        let first = s.jwt_secret_bytes().unwrap();
        assert_eq!(first.len(), 32);
        assert_eq!(s.jwt_secret_bytes().unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("data/jwt-secret"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
