//! [`BlobStore`] over a local directory: the lake root. Keys are paths under the root with
//! `/` separators, exactly like S3 keys (DESIGN §3).
//!
//! Writes are atomic (staged next to the destination, fsynced, renamed), so a crash never
//! leaves a half-written object, and concurrent writers of identical content are harmless.
//! The ETag of a local object is a SHA-256 content hash, so the digest of an object (and with
//! it every output key) changes if and only if its content changes.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;

use async_trait::async_trait;
use bytes::Bytes;
use pipeline_core::ports::{BlobReader, BlobStore, ConditionalWrite, ObjectMeta, WriteCondition};
use pipeline_core::{Error, Result};
use sha2::{Digest, Sha256};

use crate::error::io;

/// Prefix of the temporary files this store writes; they are never listed.
const TEMP_PREFIX: &str = ".tmp-";

/// The lock file that makes conditional writes atomic across processes (under the root;
/// like every name starting with `.`, never listed).
pub const COMMIT_LOCK: &str = ".commit.lock";

/// A blob store rooted at a local directory.
#[derive(Debug, Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The lake root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The local path of `key`, refusing keys that would escape the root.
    pub fn path_of(&self, key: &str) -> Result<PathBuf> {
        let relative = Path::new(key);
        if key.is_empty()
            || key.split('/').any(|segment| segment.is_empty() || segment == "." || segment == "..")
            || key.contains('\\')
            || relative.components().any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err(Error::Invalid(format!("invalid object key {key:?}")));
        }
        Ok(self.root.join(relative))
    }

    /// The key of a path under the root, if it is under the root.
    pub fn key_of(&self, path: &Path) -> Option<String> {
        let relative = path.strip_prefix(&self.root).ok()?;
        let parts: Option<Vec<&str>> = relative
            .components()
            .map(|c| match c {
                Component::Normal(part) => part.to_str(),
                _ => None,
            })
            .collect();
        parts.map(|parts| parts.join("/"))
    }

    /// Metadata of a file, hashing its content for the ETag.
    pub fn meta_of(&self, key: &str, path: &Path) -> Result<ObjectMeta> {
        let metadata = fs::metadata(path).map_err(|error| not_found_or_io(key, error))?;
        let last_modified = metadata
            .modified()
            .ok()
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map(|duration| duration.as_secs() as i64)
            .unwrap_or(0);
        Ok(ObjectMeta {
            key: key.to_owned(),
            size: metadata.len(),
            etag: content_hash(path)?,
            last_modified,
        })
    }

    fn write_atomically(
        &self,
        key: &str,
        write: impl FnOnce(&mut File) -> io::Result<()>,
    ) -> Result<()> {
        let destination = self.path_of(key)?;
        let directory = destination
            .parent()
            .ok_or_else(|| Error::Invalid(format!("invalid object key {key:?}")))?;
        fs::create_dir_all(directory)
            .map_err(|error| io(format!("creating {}", directory.display()), error))?;
        let mut temp =
            tempfile::Builder::new().prefix(TEMP_PREFIX).tempfile_in(directory).map_err(
                |error| io(format!("creating a temporary file in {}", directory.display()), error),
            )?;
        write(temp.as_file_mut()).map_err(|error| io(format!("writing {key}"), error))?;
        temp.as_file().sync_all().map_err(|error| io(format!("syncing {key}"), error))?;
        temp.persist(&destination)
            .map_err(|error| io(format!("renaming into {}", destination.display()), error.error))?;
        Ok(())
    }
}

impl LocalBlobStore {
    /// Runs `f` holding the lake's commit lock (an exclusive `flock`, so concurrent processes
    /// on the same lake serialise their conditional writes).
    fn with_commit_lock<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        fs::create_dir_all(&self.root)
            .map_err(|error| io(format!("creating {}", self.root.display()), error))?;
        let path = self.root.join(COMMIT_LOCK);
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|error| io(format!("opening {}", path.display()), error))?;
        lock.lock().map_err(|error| io("locking the lake for a commit", error))?;
        let result = f();
        drop(lock);
        result
    }
}

fn hash_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn not_found_or_io(key: &str, error: io::Error) -> Error {
    if error.kind() == io::ErrorKind::NotFound {
        Error::NotFound(key.to_owned())
    } else {
        io(format!("reading {key}"), error)
    }
}

/// SHA-256 of a file's content, hex (the local ETag).
pub fn content_hash(path: &Path) -> Result<String> {
    let mut file =
        File::open(path).map_err(|error| io(format!("opening {}", path.display()), error))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let read = file
            .read(&mut buffer)
            .map_err(|error| io(format!("hashing {}", path.display()), error))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn walk(directory: &Path, files: &mut Vec<PathBuf>) -> io::Result<()> {
    let entries = match fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Temporary files, staging, locks: nothing whose name starts with `.` is an object.
        if name.starts_with('.') {
            continue;
        }
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            walk(&entry.path(), files)?;
        } else if file_type.is_file() {
            files.push(entry.path());
        }
    }
    Ok(())
}

#[async_trait]
impl BlobStore for LocalBlobStore {
    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        let path = self.path_of(key)?;
        self.meta_of(key, &path)
    }

    async fn open(&self, key: &str) -> Result<BlobReader> {
        let path = self.path_of(key)?;
        let file = File::open(&path).map_err(|error| not_found_or_io(key, error))?;
        Ok(Box::new(io::BufReader::with_capacity(256 * 1024, file)))
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        let path = self.path_of(key)?;
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(Bytes::from(bytes))),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(io(format!("reading {key}"), error)),
        }
    }

    async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        self.write_atomically(key, |file| file.write_all(&body))
    }

    async fn put_file(&self, key: &str, path: &Path) -> Result<()> {
        let mut source =
            File::open(path).map_err(|error| io(format!("opening {}", path.display()), error))?;
        self.write_atomically(key, |file| io::copy(&mut source, file).map(|_| ()))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        // Walk the deepest directory the prefix names, then filter by the full prefix.
        let directory_part = match prefix.rfind('/') {
            Some(index) => &prefix[..index],
            None => "",
        };
        let start = if directory_part.is_empty() {
            self.root.clone()
        } else {
            self.path_of(directory_part)?
        };
        let mut files = Vec::new();
        walk(&start, &mut files).map_err(|error| io(format!("listing {prefix}"), error))?;
        let mut metas = Vec::new();
        for path in files {
            let Some(key) = self.key_of(&path) else { continue };
            if key.starts_with(prefix) {
                metas.push(self.meta_of(&key, &path)?);
            }
        }
        metas.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(metas)
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        Ok(self.path_of(key)?.is_file())
    }

    async fn delete(&self, keys: &[String]) -> Result<()> {
        for key in keys {
            let path = self.path_of(key)?;
            match fs::remove_file(&path) {
                Ok(()) => {
                    // Like S3, a "directory" exists only while it holds objects.
                    if let Some(directory) = path.parent() {
                        let _ = fs::remove_dir(directory);
                    }
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(Error::io(format!("deleting {}", path.display()), error)),
            }
        }
        Ok(())
    }

    async fn get_tagged(&self, key: &str) -> Result<Option<(Bytes, String)>> {
        Ok(self.get(key).await?.map(|bytes| {
            let etag = hash_bytes(&bytes);
            (bytes, etag)
        }))
    }

    /// Check and write happen under the lake's commit lock, the write itself staged and
    /// renamed into place: a reader sees the old object or the new one, whole.
    async fn put_if(
        &self,
        key: &str,
        body: Bytes,
        condition: &WriteCondition,
    ) -> Result<ConditionalWrite> {
        let path = self.path_of(key)?;
        self.with_commit_lock(|| {
            let current = match fs::read(&path) {
                Ok(bytes) => Some(hash_bytes(&bytes)),
                Err(error) if error.kind() == io::ErrorKind::NotFound => None,
                Err(error) => return Err(io(format!("reading {key}"), error)),
            };
            let holds = match (condition, &current) {
                (WriteCondition::Absent, None) => true,
                (WriteCondition::Matches(expected), Some(etag)) => expected == etag,
                _ => false,
            };
            if !holds {
                return Ok(ConditionalWrite::Conflict);
            }
            self.write_atomically(key, |file| file.write_all(&body))?;
            Ok(ConditionalWrite::Written { etag: hash_bytes(&body) })
        })
    }

    async fn get_tail(&self, key: &str, len: u64) -> Result<Bytes> {
        use std::io::{Seek, SeekFrom};
        let path = self.path_of(key)?;
        let mut file = File::open(&path).map_err(|error| not_found_or_io(key, error))?;
        let size = file.metadata().map_err(|error| io(format!("reading {key}"), error))?.len();
        let start = size.saturating_sub(len);
        file.seek(SeekFrom::Start(start)).map_err(|error| io(format!("reading {key}"), error))?;
        let mut tail = Vec::with_capacity(usize::try_from(size - start).unwrap_or(0));
        file.read_to_end(&mut tail).map_err(|error| io(format!("reading {key}"), error))?;
        Ok(Bytes::from(tail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_list_and_head() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::new(dir.path());
        store.put("a/b/one.txt", Bytes::from_static(b"1")).await.unwrap();
        store.put("a/two.txt", Bytes::from_static(b"22")).await.unwrap();
        store.put("c/three.txt", Bytes::from_static(b"333")).await.unwrap();
        assert_eq!(store.get("a/two.txt").await.unwrap().unwrap(), Bytes::from_static(b"22"));
        assert_eq!(store.get("missing").await.unwrap(), None);
        let keys: Vec<String> =
            store.list("a/").await.unwrap().into_iter().map(|m| m.key).collect();
        assert_eq!(keys, vec!["a/b/one.txt", "a/two.txt"]);
        let meta = store.head("c/three.txt").await.unwrap();
        assert_eq!(meta.size, 3);
        assert_eq!(meta.etag.len(), 64);
        assert!(matches!(store.head("nope").await, Err(Error::NotFound(_))));
        // Same content, same ETag; different content, different ETag.
        store.put("d/x", Bytes::from_static(b"333")).await.unwrap();
        assert_eq!(store.head("d/x").await.unwrap().etag, meta.etag);
        store.put("d/x", Bytes::from_static(b"334")).await.unwrap();
        assert_ne!(store.head("d/x").await.unwrap().etag, meta.etag);
    }

    #[tokio::test]
    async fn conditional_writes_compare_etags() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::new(dir.path());
        let first = store.put_if("s/x.json", Bytes::from_static(b"1"), &WriteCondition::Absent);
        let ConditionalWrite::Written { etag } = first.await.unwrap() else { panic!("written") };
        assert_eq!(
            store
                .put_if("s/x.json", Bytes::from_static(b"2"), &WriteCondition::Absent)
                .await
                .unwrap(),
            ConditionalWrite::Conflict
        );
        let (body, tag) = store.get_tagged("s/x.json").await.unwrap().unwrap();
        assert_eq!((body.as_ref(), tag.as_str()), (&b"1"[..], etag.as_str()));
        let stale = WriteCondition::Matches("0".repeat(64));
        assert_eq!(
            store.put_if("s/x.json", Bytes::from_static(b"3"), &stale).await.unwrap(),
            ConditionalWrite::Conflict
        );
        let fresh = WriteCondition::Matches(etag);
        assert!(matches!(
            store.put_if("s/x.json", Bytes::from_static(b"4"), &fresh).await.unwrap(),
            ConditionalWrite::Written { .. }
        ));
        assert_eq!(store.get("s/x.json").await.unwrap().unwrap(), Bytes::from_static(b"4"));
        assert_eq!(store.get_tail("s/x.json", 10).await.unwrap(), Bytes::from_static(b"4"));
        let keys: Vec<String> = store.list("").await.unwrap().into_iter().map(|m| m.key).collect();
        assert_eq!(keys, ["s/x.json"], "the lock file is not an object");
    }

    #[tokio::test]
    async fn keys_cannot_escape_the_root() {
        let store = LocalBlobStore::new("/tmp/lake-root");
        for key in ["../etc/passwd", "/etc/passwd", "a/../../b", "", "a/./b"] {
            assert!(store.path_of(key).is_err(), "{key}");
        }
    }

    #[tokio::test]
    async fn put_file_publishes_a_copy_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::new(dir.path().join("lake"));
        let staged = dir.path().join("staged");
        fs::write(&staged, b"parquet bytes").unwrap();
        store.put_file("p/q/file.parquet", &staged).await.unwrap();
        assert_eq!(fs::read(dir.path().join("lake/p/q/file.parquet")).unwrap(), b"parquet bytes");
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("lake/p/q")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files left behind");
    }
}
