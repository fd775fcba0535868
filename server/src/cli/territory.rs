//! `fieldcrm territory add|list`: the territory tree.

use serde::Serialize;

use super::CliError;
use crate::db::Db;
use crate::db::territories::{self, Territory};

/// Creates a territory under the territory named `parent` (or a root).
pub async fn add_territory(
    db: &Db,
    name: &str,
    parent: Option<&str>,
) -> Result<Territory, CliError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CliError::InvalidInput(
            "territory name must be 1 to 100 characters".into(),
        ));
    }
    let parent_id = match parent {
        Some(p) => Some(
            territories::get_by_name(db, p)
                .await?
                .ok_or_else(|| CliError::NotFound(format!("territory {p:?}")))?
                .id,
        ),
        None => None,
    };
    Ok(territories::create(db, name, parent_id).await?)
}

/// A territory as listed in JSON: its children nested.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TerritoryNode {
    /// The id.
    pub id: String,
    /// The name.
    pub name: String,
    /// The children, by name.
    pub children: Vec<TerritoryNode>,
}

/// The territory forest: roots (and orphans) by name, children nested by name.
pub fn territory_tree(all: &[Territory]) -> Vec<TerritoryNode> {
    fn node(t: &Territory, all: &[Territory], depth: usize) -> TerritoryNode {
        let mut children: Vec<&Territory> =
            all.iter().filter(|c| c.parent_id == Some(t.id)).collect();
        children.sort_by(|a, b| a.name.cmp(&b.name));
        TerritoryNode {
            id: t.id.to_string(),
            name: t.name.clone(),
            // The depth bound guards against a cycle in corrupt data.
            children: if depth > 64 {
                Vec::new()
            } else {
                children
                    .into_iter()
                    .map(|c| node(c, all, depth + 1))
                    .collect()
            },
        }
    }
    let mut roots: Vec<&Territory> = all
        .iter()
        .filter(|t| t.parent_id.is_none_or(|p| !all.iter().any(|o| o.id == p)))
        .collect();
    roots.sort_by(|a, b| a.name.cmp(&b.name));
    roots.into_iter().map(|r| node(r, all, 0)).collect()
}

/// The tree as indented text, one territory per line.
pub fn render_tree(tree: &[TerritoryNode]) -> String {
    fn walk(nodes: &[TerritoryNode], prefix: &str, out: &mut String) {
        for (i, n) in nodes.iter().enumerate() {
            let last = i + 1 == nodes.len();
            out.push_str(&format!(
                "{prefix}{}{}\n",
                if last { "└── " } else { "├── " },
                n.name
            ));
            let deeper = format!("{prefix}{}", if last { "    " } else { "│   " });
            walk(&n.children, &deeper, out);
        }
    }
    let mut out = String::new();
    for root in tree {
        out.push_str(&root.name);
        out.push('\n');
        walk(&root.children, "", &mut out);
    }
    out
}

/// JSON for `territory list --json`.
pub fn tree_json(tree: &[TerritoryNode]) -> Result<String, CliError> {
    serde_json::to_string_pretty(tree).map_err(|e| CliError::Render(e.to_string()))
}

/// The current tree, read from the database.
pub async fn list_tree(db: &Db) -> Result<Vec<TerritoryNode>, CliError> {
    Ok(territory_tree(&territories::list(db).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::memory_db;

    #[tokio::test]
    async fn add_and_render() {
        let db = memory_db().await;
        add_territory(&db, "华东", None).await.unwrap();
        add_territory(&db, "上海", Some("华东")).await.unwrap();
        add_territory(&db, "杭州", Some("华东")).await.unwrap();
        add_territory(&db, "华北", None).await.unwrap();
        assert!(matches!(
            add_territory(&db, "x", Some("nowhere")).await,
            Err(CliError::NotFound(_))
        ));
        assert!(add_territory(&db, "  ", None).await.is_err());
        let tree = list_tree(&db).await.unwrap();
        assert_eq!(tree.len(), 2);
        let text = render_tree(&tree);
        assert_eq!(text, "华东\n├── 上海\n└── 杭州\n华北\n");
        assert!(tree_json(&tree).unwrap().contains("\"children\""));
    }
}
