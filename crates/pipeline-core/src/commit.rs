//! Committed tables (DESIGN §8): every partition of silver and gold is defined by a committed
//! list of its data files, changed only by an atomic commit.
//!
//! - [`state`]: the per-partition commit state (live files, tombstones, version, lineage) and
//!   the rules for changing it;
//! - [`tables`]: where each committed table keeps its manifests, states and rewritten files;
//! - [`protocol`]: compare-and-swap commits on the state, and the Hive symlink manifest
//!   (`SymlinkTextInputFormat`) that Athena and the local engine read.

pub mod protocol;
pub mod state;
pub mod tables;

pub use protocol::{
    commit, commit_log, committed_partitions, manifest_files, parquet_rows, parse_manifest,
    publish_manifest, read_state, render_manifest, CommitOutcome, CommitRecord,
};
pub use state::{
    Change, CommitInfo, CommittedFile, FileOrigin, Operation, PartitionState, RemovedFile,
};
pub use tables::{committed_table, committed_tables, CommittedTable, GOLD, MANIFEST_FILE, SILVER};
