//! Attachment files on disk: [`BlobStore`] keeps each file under
//! `<data_dir>/attachments/<aa>/<bb>/<sha256>` (the first two byte pairs of its digest fan the
//! files out over directories), written atomically: a temporary file in the same directory,
//! fsync, rename, fsync of the directory. A file is never rewritten once stored. Metadata and
//! access rules are SQL ([`crate::db::attachments`]); the HTTP handlers are in
//! `crate::http::attachments` and the back office's in `crate::web::visits`.

use std::path::{Path, PathBuf};

use fieldcrm_core::attachment::Sha256Hex;
use tokio::io::AsyncWriteExt;

/// The attachment directory of a server.
#[derive(Clone, Debug)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    /// The store under `<data_dir>/attachments`.
    pub fn new(data_dir: &Path) -> Self {
        BlobStore {
            root: data_dir.join("attachments"),
        }
    }

    /// Where the file of `sha` lives.
    pub fn path(&self, sha: &Sha256Hex) -> PathBuf {
        let s = sha.as_str();
        self.root.join(&s[0..2]).join(&s[2..4]).join(s)
    }

    /// Whether the file is stored.
    pub async fn exists(&self, sha: &Sha256Hex) -> bool {
        tokio::fs::metadata(self.path(sha))
            .await
            .is_ok_and(|m| m.is_file())
    }

    /// The stored bytes, `None` if absent.
    pub async fn read(&self, sha: &Sha256Hex) -> std::io::Result<Option<Vec<u8>>> {
        match tokio::fs::read(self.path(sha)).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Stores `bytes` (whose digest the caller checked is `sha`) atomically. Concurrent writers
    /// of the same content are harmless: each renames identical bytes into place.
    pub async fn write(&self, sha: &Sha256Hex, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(sha);
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.root.clone());
        tokio::fs::create_dir_all(&dir).await?;
        let tmp = dir.join(format!(".{sha}.{}.tmp", uuid::Uuid::now_v7().simple()));
        let written = async {
            let mut f = tokio::fs::File::create(&tmp).await?;
            f.write_all(bytes).await?;
            f.sync_all().await?;
            drop(f);
            tokio::fs::rename(&tmp, &path).await
        }
        .await;
        if written.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        written?;
        if let Ok(d) = tokio::fs::File::open(&dir).await {
            // Makes the rename durable; not every platform allows syncing a directory.
            let _ = d.sync_all().await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_fan_out_and_are_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::new(dir.path());
        let sha = Sha256Hex::of(b"photo");
        let s = sha.as_str().to_owned();
        assert_eq!(
            store.path(&sha),
            dir.path()
                .join("attachments")
                .join(&s[..2])
                .join(&s[2..4])
                .join(&s)
        );
        assert!(!store.exists(&sha).await);
        assert_eq!(store.read(&sha).await.unwrap(), None);
        store.write(&sha, b"photo").await.unwrap();
        assert!(store.exists(&sha).await);
        assert_eq!(store.read(&sha).await.unwrap().unwrap(), b"photo");
        // Only the file: the temporary one was renamed.
        let parent = store.path(&sha).parent().unwrap().to_owned();
        assert_eq!(std::fs::read_dir(parent).unwrap().count(), 1);
    }
}
