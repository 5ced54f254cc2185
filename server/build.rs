//! `sqlx::migrate!` embeds the migration folders when the crate compiles; a new
//! migration file changes no Rust source, so cargo is told to watch the folders.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
