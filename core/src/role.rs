//! Roles. A user has exactly one role; the role decides both the data scope the server computes
//! and the write policy (see [`crate::policy`]).

use std::fmt;
use std::str::FromStr;

/// What kind of user someone is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including administration.
    Admin,
    /// Manager of a territory subtree: sees and edits everything under it.
    Manager,
    /// Office staff: every customer, all back-office work.
    Office,
    /// Field sales rep: the customers of their own territories.
    Rep,
    /// Service engineer: dispatches assigned to them.
    Engineer,
    /// Partner agent: only leads assigned to them.
    Partner,
}

impl Role {
    /// All roles, in a stable order.
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Manager,
        Role::Office,
        Role::Rep,
        Role::Engineer,
        Role::Partner,
    ];

    /// The stable lowercase name used in SQL, JWTs and the CLI.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Office => "office",
            Role::Rep => "rep",
            Role::Engineer => "engineer",
            Role::Partner => "partner",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for an unknown role name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?} (expected one of admin, manager, office, rep, engineer, partner)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| UnknownRole(s.chars().take(32).collect()))
    }
}
