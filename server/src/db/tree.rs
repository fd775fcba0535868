//! Helpers for the organisation's trees (departments, territories): cycle checks before a node is
//! moved, subtree expansion and display order, over `(id, parent)` pairs read from SQL; and
//! [`TreeError`], why a change of a tree was refused.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;

use super::DbError;

/// Why a change of the tree was refused.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// The new parent is the node itself or one of its descendants.
    #[error("a node cannot be moved under itself or its descendants")]
    Cycle,
    /// The node still has children or members.
    #[error("the node is not empty")]
    NotEmpty,
    /// Storage failed (including a duplicate name or an unknown node).
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for TreeError {
    fn from(e: sqlx::Error) -> Self {
        TreeError::Db(DbError::Sqlx(e))
    }
}

/// Whether giving `node` the parent `new_parent` would make a cycle: `new_parent` is `node`
/// itself or one of its descendants. Cycle-safe on data that already holds a cycle.
pub fn would_cycle<Id: Copy + Eq + Hash>(
    parents: &HashMap<Id, Option<Id>>,
    node: Id,
    new_parent: Option<Id>,
) -> bool {
    let mut seen = std::collections::HashSet::new();
    let mut cursor = new_parent;
    while let Some(id) = cursor {
        if id == node {
            return true;
        }
        if !seen.insert(id) {
            // A cycle that does not involve `node`: moving `node` under it cannot close another.
            return false;
        }
        cursor = parents.get(&id).copied().flatten();
    }
    false
}

/// `roots` and all their descendants (cycle-safe); ids absent from `parents` are left out.
pub fn subtree<Id: Copy + Eq + Hash + Ord>(
    parents: &HashMap<Id, Option<Id>>,
    roots: &[Id],
) -> BTreeSet<Id> {
    let mut children: HashMap<Id, Vec<Id>> = HashMap::new();
    for (id, parent) in parents {
        if let Some(p) = parent {
            children.entry(*p).or_default().push(*id);
        }
    }
    let mut out = BTreeSet::new();
    let mut stack: Vec<Id> = roots
        .iter()
        .copied()
        .filter(|r| parents.contains_key(r))
        .collect();
    while let Some(id) = stack.pop() {
        if out.insert(id)
            && let Some(kids) = children.get(&id)
        {
            stack.extend(kids.iter().copied());
        }
    }
    out
}

/// The nodes in depth-first order from the roots, each with its depth, children sorted by
/// `key`. Nodes on a cycle (unreachable from a root) come last at depth 0, so nothing is hidden.
pub fn ordered<Id: Copy + Eq + Hash + Ord, K: Ord>(
    parents: &HashMap<Id, Option<Id>>,
    key: impl Fn(Id) -> K,
) -> Vec<(Id, usize)> {
    let mut children: HashMap<Option<Id>, Vec<Id>> = HashMap::new();
    for (id, parent) in parents {
        let parent = parent.filter(|p| parents.contains_key(p));
        children.entry(parent).or_default().push(*id);
    }
    for kids in children.values_mut() {
        kids.sort_by_key(|id| key(*id));
    }
    let mut out = Vec::with_capacity(parents.len());
    let mut seen = BTreeSet::new();
    let mut stack: Vec<(Id, usize)> = children
        .get(&None)
        .map(|r| r.iter().rev().map(|id| (*id, 0)).collect())
        .unwrap_or_default();
    while let Some((id, depth)) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        out.push((id, depth));
        if let Some(kids) = children.get(&Some(id)) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    let mut rest: Vec<Id> = parents
        .keys()
        .copied()
        .filter(|id| !seen.contains(id))
        .collect();
    rest.sort_by_key(|id| key(*id));
    out.extend(rest.into_iter().map(|id| (id, 0)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> HashMap<u32, Option<u32>> {
        // 1 ─ 2 ─ 3
        //   └ 4
        // 5
        [
            (1, None),
            (2, Some(1)),
            (3, Some(2)),
            (4, Some(1)),
            (5, None),
        ]
        .into()
    }

    #[test]
    fn cycles_are_detected() {
        let t = tree();
        assert!(would_cycle(&t, 1, Some(1)), "own parent");
        assert!(would_cycle(&t, 1, Some(3)), "under a grandchild");
        assert!(would_cycle(&t, 2, Some(3)), "under a child");
        assert!(!would_cycle(&t, 3, Some(4)), "under a cousin");
        assert!(!would_cycle(&t, 2, None), "to the root");
        assert!(!would_cycle(&t, 1, Some(5)), "under another root");
        // Existing bad data does not loop forever.
        let mut bad = t.clone();
        bad.insert(5, Some(6));
        bad.insert(6, Some(5));
        assert!(!would_cycle(&bad, 1, Some(5)));
    }

    #[test]
    fn subtrees_and_order() {
        let t = tree();
        assert_eq!(subtree(&t, &[1]), [1, 2, 3, 4].into());
        assert_eq!(subtree(&t, &[2, 5]), [2, 3, 5].into());
        assert!(subtree(&t, &[9]).is_empty());
        assert_eq!(
            ordered(&t, |id| id),
            vec![(1, 0), (2, 1), (3, 2), (4, 1), (5, 0)]
        );
        let mut bad = t.clone();
        bad.insert(6, Some(7));
        bad.insert(7, Some(6));
        let order = ordered(&bad, |id| id);
        assert_eq!(order.len(), 7);
        assert_eq!(&order[5..], &[(6, 0), (7, 0)]);
    }
}
