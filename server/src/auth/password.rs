//! Password hashing with argon2id (the crate's default parameters), PHC strings in the database.
//! Hashing is CPU-heavy: async callers use the `*_blocking` wrappers, which run it on the
//! blocking thread pool.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;

/// Errors of password hashing.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// argon2 failed (bad parameters or a malformed stored hash).
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The blocking task running the hash was cancelled or panicked.
    #[error("password hashing task failed: {0}")]
    Task(String),
    /// An empty password was given.
    #[error("password must not be empty")]
    Empty,
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Hashes `password` with argon2id and a random salt, returning the PHC string.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.is_empty() {
        return Err(PasswordError::Empty);
    }
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(password: &str, hash: &str) -> Result<bool, PasswordError> {
    let parsed = PasswordHash::new(hash).map_err(|e| PasswordError::Hash(e.to_string()))?;
    match argon2().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(e) => Err(PasswordError::Hash(e.to_string())),
    }
}

/// [`hash_password`] on the blocking thread pool.
pub async fn hash_password_blocking(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| PasswordError::Task(e.to_string()))?
}

/// [`verify_password`] on the blocking thread pool.
pub async fn verify_password_blocking(
    password: String,
    hash: String,
) -> Result<bool, PasswordError> {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| PasswordError::Task(e.to_string()))?
}

/// A valid hash of a random password, verified against when the user does not exist, so that
/// an unknown user costs the same time as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut random = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut random);
        // Cannot fail for a non-empty password; fall back to a string that fails to parse.
        hash_password(&hex::encode(random)).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$"));
        assert!(verify_password("correct horse", &hash).unwrap());
        assert!(!verify_password("wrong", &hash).unwrap());
        assert_ne!(hash, hash_password("correct horse").unwrap(), "salted");
        assert!(verify_password("x", "not a phc string").is_err());
        assert!(matches!(hash_password(""), Err(PasswordError::Empty)));
        assert!(!verify_password("x", dummy_hash()).unwrap());
    }
}
