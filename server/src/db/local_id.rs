//! Ids of the server's own relational records (payments, contracts): the same shape as core's
//! typed ids (a UUID v7 newtype, parsed at every boundary), for rows that never reach a phone.

/// Declares a server-side id newtype over a UUID.
macro_rules! local_id {
    ($(#[$meta:meta])* $name:ident, $label:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// A new, time-ordered (UUID v7) id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
            /// Parses the hyphenated (or simple) form.
            pub fn parse(s: &str) -> Result<Self, $crate::db::DbError> {
                uuid::Uuid::parse_str(s.trim())
                    .map(Self)
                    .map_err(|_| $crate::db::DbError::NotFound(format!("{} {:?}", $label, s)))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

pub(crate) use local_id;
