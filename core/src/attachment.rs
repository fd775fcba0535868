//! Attachments (photos) shared by the device and the server: the content-address
//! ([`Sha256Hex`]), the allowed content types ([`ContentType`]) and the magic-number check that
//! the bytes really are what their declared type says ([`check_bytes`]).
//!
//! An attachment is immutable and addressed by the SHA-256 of its bytes; documents reference it
//! by that hash (`Visit::photos[].sha256`). Both sides apply the same checks, so a photo the
//! device accepts is one the server accepts (up to the server's configured size limit).

use std::fmt;

use sha2::{Digest, Sha256};

/// Default largest attachment, bytes (10 MiB). The server's limit is a setting with this
/// default; the device refuses larger photos before queueing them.
pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;

/// Why bytes or a name are not an acceptable attachment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    /// Not 64 lowercase/uppercase hex digits.
    #[error("not a SHA-256 hex digest: {0:?}")]
    BadHash(String),
    /// A content type other than JPEG, PNG or WebP.
    #[error("content type {0:?} is not allowed (image/jpeg, image/png, image/webp)")]
    UnsupportedType(String),
    /// The bytes do not start with the magic number of the declared type.
    #[error("the bytes are not a {0} file")]
    MagicMismatch(&'static str),
    /// Zero bytes.
    #[error("the attachment is empty")]
    Empty,
    /// More than the limit.
    #[error("the attachment has {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The SHA-256 of the bytes is not the address they were sent to.
    #[error("the SHA-256 of the bytes is {actual}, not {expected}")]
    HashMismatch {
        /// The address given.
        expected: String,
        /// The digest of the bytes.
        actual: String,
    },
}

/// A lowercase hex SHA-256 digest: the address of an attachment.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    /// Parses 64 hex digits (any case; stored lowercase).
    pub fn parse(s: &str) -> Result<Self, AttachmentError> {
        let s = s.trim();
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(AttachmentError::BadHash(s.chars().take(80).collect()))
        }
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(hex::encode(Sha256::digest(bytes)))
    }

    /// The 64 lowercase hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Hex({})", self.0)
    }
}

/// The content types an attachment may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// `image/jpeg`.
    Jpeg,
    /// `image/png`.
    Png,
    /// `image/webp`.
    Webp,
}

impl ContentType {
    /// Parses a MIME type (`image/jpeg`, case-insensitive, parameters ignored; `image/jpg` is
    /// taken as JPEG).
    pub fn parse(mime: &str) -> Result<Self, AttachmentError> {
        let essence = mime
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "image/jpeg" | "image/jpg" => Ok(Self::Jpeg),
            "image/png" => Ok(Self::Png),
            "image/webp" => Ok(Self::Webp),
            _ => Err(AttachmentError::UnsupportedType(
                mime.chars().take(80).collect(),
            )),
        }
    }

    /// The canonical MIME type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    /// The type whose magic number `bytes` start with, if any.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Webp => "WebP",
        }
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks `bytes` as an attachment of the declared `content_type` (MIME text) within `limit`
/// bytes: non-empty, small enough, an allowed type, and the magic number matches. Returns the
/// parsed type and the digest.
pub fn check_bytes(
    bytes: &[u8],
    content_type: &str,
    limit: usize,
) -> Result<(ContentType, Sha256Hex), AttachmentError> {
    if bytes.is_empty() {
        return Err(AttachmentError::Empty);
    }
    if bytes.len() > limit {
        return Err(AttachmentError::TooLarge {
            size: bytes.len(),
            limit,
        });
    }
    let declared = ContentType::parse(content_type)?;
    if ContentType::sniff(bytes) != Some(declared) {
        return Err(AttachmentError::MagicMismatch(declared.label()));
    }
    Ok((declared, Sha256Hex::of(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'];

    #[test]
    fn hashes_parse_and_digest() {
        let h = Sha256Hex::of(b"abc");
        assert_eq!(
            h.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Sha256Hex::parse(&h.as_str().to_uppercase()).unwrap(), h);
        assert!(Sha256Hex::parse("abc").is_err());
        assert!(Sha256Hex::parse(&"g".repeat(64)).is_err());
        assert!(Sha256Hex::parse("../../etc/passwd").is_err());
    }

    #[test]
    fn types_and_magic() {
        assert_eq!(
            ContentType::parse("IMAGE/PNG; q=1").unwrap(),
            ContentType::Png
        );
        assert!(matches!(
            ContentType::parse("text/html"),
            Err(AttachmentError::UnsupportedType(_))
        ));
        assert_eq!(ContentType::sniff(JPEG), Some(ContentType::Jpeg));
        assert_eq!(
            ContentType::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(ContentType::Webp)
        );
        assert_eq!(ContentType::sniff(b"<script>"), None);
        let (t, h) = check_bytes(PNG, "image/png", 100).unwrap();
        assert_eq!((t, h), (ContentType::Png, Sha256Hex::of(PNG)));
        assert_eq!(
            check_bytes(PNG, "image/jpeg", 100),
            Err(AttachmentError::MagicMismatch("JPEG"))
        );
        assert_eq!(
            check_bytes(b"", "image/png", 100),
            Err(AttachmentError::Empty)
        );
        assert!(matches!(
            check_bytes(PNG, "image/png", 4),
            Err(AttachmentError::TooLarge { size: 16, limit: 4 })
        ));
    }
}
