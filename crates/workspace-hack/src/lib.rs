//! # workspace-hack
//!
//! No code: this crate only depends on shared crates with the union of the features the
//! workspace turns on, so that every build of the CLI resolves them identically and cargo
//! compiles each dependency once (see `Cargo.toml` and `scripts/check-build-reuse`). The
//! technique is cargo-hakari's, kept by hand here because the list is short.
