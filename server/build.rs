//! Rebuild when a migration is added: `sqlx::migrate!` embeds the migration directories at
//! compile time, and cargo does not notice new files there on its own.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
