//! A local lake: the directory that stands in for the S3 buckets, with its blob store,
//! catalog and staging area.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::catalog::LocalCatalog;
use crate::error::{Error, Result};
use crate::fs_store::LocalBlobStore;

/// Name of the staging directory inside the lake (outputs are staged, then renamed in).
pub const STAGING_DIR: &str = ".staging";

/// The local lake at a root directory.
#[derive(Debug, Clone)]
pub struct Lake {
    root: PathBuf,
    store: Arc<LocalBlobStore>,
    catalog: LocalCatalog,
}

impl Lake {
    /// Opens an existing lake; a missing directory is [`Error::MissingLake`].
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        if !root.is_dir() {
            return Err(Error::MissingLake(root.display().to_string()));
        }
        Ok(Self::at(root))
    }

    /// Opens the lake at `root`, creating the directory if needed.
    pub fn create(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)
            .map_err(|error| crate::error::io(format!("creating {}", root.display()), error))?;
        Ok(Self::at(root))
    }

    fn at(root: PathBuf) -> Self {
        Self {
            store: Arc::new(LocalBlobStore::new(&root)),
            catalog: LocalCatalog::new(&root),
            root,
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The blob store over the root.
    pub fn store(&self) -> Arc<LocalBlobStore> {
        self.store.clone()
    }

    /// The catalog.
    pub fn catalog(&self) -> &LocalCatalog {
        &self.catalog
    }

    /// The staging directory (created if missing).
    pub fn staging_dir(&self) -> Result<PathBuf> {
        let path = self.root.join(STAGING_DIR);
        std::fs::create_dir_all(&path)
            .map_err(|error| crate::error::io(format!("creating {}", path.display()), error))?;
        Ok(path)
    }
}
