//! The local twin of Athena: Apache DataFusion over the lake's Parquet files, seeing exactly
//! the partitions registered in the [`LocalCatalog`], as Athena sees only what Glue has.
//!
//! Every table of DESIGN §4 is registered under its Glue name, so the Athena/Trino SQL in
//! `sql/` runs unchanged.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, SchemaRef};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use async_trait::async_trait;
use datafusion::catalog::TableProvider;
use datafusion::common::DFSchema;
use datafusion::datasource::file_format::json::JsonFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::MemTable;
use datafusion::prelude::{col, lit, SessionConfig, SessionContext};
use event_model::schema::{
    TableSpec, GOLD_TABLES, LEDGERS, PROCESSED_EVENTS, QUARANTINED_EVENTS, TITLES,
};
use pipeline_core::ports::{QueryEngine, QueryResult, ResultColumn};
use serde_json::{Number, Value};

use pipeline_core::commit::{committed_table, manifest_files, CommittedTable};

use crate::catalog::{CatalogDocument, LocalCatalog};
use crate::error::{Error, Result};
use crate::fs_store::LocalBlobStore;
use crate::symlink_table::{SymlinkFile, SymlinkPartition, SymlinkTable};

/// A DataFusion session over one lake.
pub struct LocalQueryEngine {
    ctx: SessionContext,
    lake_root: PathBuf,
}

impl std::fmt::Debug for LocalQueryEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalQueryEngine").field("lake_root", &self.lake_root).finish()
    }
}

impl LocalQueryEngine {
    /// Opens the lake at `lake_root` and registers every table with its catalogued partitions.
    pub async fn open(lake_root: &Path) -> Result<Self> {
        Self::open_with_batch_size(lake_root, None).await
    }

    /// [`Self::open`], with DataFusion's batch size set to `rows` (default 8,192). The gold
    /// refresh uses large batches: its window functions sort days of silver, and a sort merges
    /// one sorted run per batch, so fewer, larger batches mean a narrower, faster merge.
    pub async fn open_with_batch_size(lake_root: &Path, rows: Option<usize>) -> Result<Self> {
        if !lake_root.is_dir() {
            return Err(Error::MissingLake(lake_root.display().to_string()));
        }
        let lake_root = lake_root.canonicalize().map_err(|error| {
            Error::Core(crate::error::io(format!("resolving {}", lake_root.display()), error))
        })?;
        // DataFusion's settings can be tuned from the environment (`DATAFUSION_EXECUTION_BATCH_SIZE`
        // and the like, as `datafusion-cli` reads them).
        let config =
            SessionConfig::from_env()?.with_information_schema(true).with_target_partitions(
                std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            );
        let mut config = match rows {
            Some(rows) => config.with_batch_size(rows),
            None => config,
        };
        // Sorted silver files (compacted, in session order) feed the gold windows through an
        // order-preserving repartition by session instead of a hash repartition and a sort of
        // days of rows: streaming, with memory bounded by the batches in flight.
        if std::env::var_os("DATAFUSION_OPTIMIZER_PREFER_EXISTING_SORT").is_none() {
            config.options_mut().optimizer.prefer_existing_sort = true;
        }
        let ctx = SessionContext::new_with_config(config);
        let document = LocalCatalog::new(&lake_root).load()?;
        for spec in [&PROCESSED_EVENTS, &QUARANTINED_EVENTS].into_iter().chain(GOLD_TABLES) {
            register_partitioned(&ctx, &lake_root, spec, &document).await?;
        }
        // The title dimension (one Parquet file), and the ledger zone read as NDJSON (one
        // ledger per line and file) with the scalar fields as columns, as Athena's JSON SerDe
        // reads it.
        register_unpartitioned(
            &ctx,
            &lake_root,
            &TITLES,
            Arc::new(ParquetFormat::default()),
            ".parquet",
        )?;
        register_unpartitioned(
            &ctx,
            &lake_root,
            &LEDGERS,
            Arc::new(JsonFormat::default()),
            ".json",
        )?;
        Ok(Self { ctx, lake_root })
    }

    /// The DataFusion session, for callers that want DataFrames.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Runs SQL and returns the Arrow batches.
    pub async fn query_batches(&self, sql: &str) -> Result<(SchemaRef, Vec<RecordBatch>)> {
        let frame = self.ctx.sql(sql).await?;
        let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await?;
        Ok((schema, batches))
    }

    /// Runs SQL to completion and reports what it read: the rows it returned and the bytes
    /// its Parquet and JSON scans fetched from storage (DataFusion's `bytes_scanned`, summed
    /// over the plan). For Parquet this is the column chunks, page indexes and footers the
    /// query needed, which is what Athena bills as "data scanned" for the same files.
    pub async fn scan(&self, sql: &str) -> Result<ScanReport> {
        let frame = self.ctx.sql(sql).await?;
        let plan = frame.create_physical_plan().await?;
        let batches = datafusion::physical_plan::collect(plan.clone(), self.ctx.task_ctx()).await?;
        let mut bytes_scanned = 0;
        let mut pending = vec![plan];
        while let Some(node) = pending.pop() {
            if let Some(value) = node.metrics().and_then(|m| m.sum_by_name("bytes_scanned")) {
                bytes_scanned += value.as_usize() as u64;
            }
            pending.extend(node.children().into_iter().cloned());
        }
        Ok(ScanReport { rows: batches.iter().map(|b| b.num_rows() as u64).sum(), bytes_scanned })
    }
}

/// What one query read ([`LocalQueryEngine::scan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanReport {
    /// Rows returned.
    pub rows: u64,
    /// Bytes read from the lake's files.
    pub bytes_scanned: u64,
}

fn directory_url(path: &Path) -> Result<ListingTableUrl> {
    let mut text = path.display().to_string();
    if !text.ends_with('/') {
        text.push('/');
    }
    Ok(ListingTableUrl::parse(text)?)
}

async fn register_partitioned(
    ctx: &SessionContext,
    lake_root: &Path,
    spec: &TableSpec,
    document: &CatalogDocument,
) -> Result<()> {
    let partitions: Vec<String> = document
        .tables
        .get(spec.name)
        .map(|table| table.partitions.keys().cloned().collect())
        .unwrap_or_default();
    if let Some(table) = committed_table(spec.name) {
        return register_committed(ctx, lake_root, table, &partitions).await;
    }
    let location = lake_root.join(spec.location);
    if partitions.is_empty() || !location.is_dir() {
        let empty = MemTable::try_new(spec.table_schema(), vec![vec![]])?;
        ctx.register_table(spec.name, Arc::new(empty))?;
        return Ok(());
    }
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_table_partition_cols(
            spec.partition_keys.iter().map(|key| ((*key).to_owned(), DataType::Utf8)).collect(),
        );
    let config = ListingTableConfig::new(directory_url(&location)?)
        .with_listing_options(options)
        .with_schema(spec.file_schema());
    let table = ListingTable::try_new(config)?;
    // Only catalogued partitions are visible (Athena without MSCK REPAIR).
    let Some(key) = spec.partition_keys.first() else {
        return Err(Error::Query(format!("{} has no partition key", spec.name)));
    };
    let visible = ctx.read_table(Arc::new(table))?.filter(
        col(*key).in_list(partitions.iter().map(|value| lit(value.clone())).collect(), false),
    )?;
    ctx.register_table(spec.name, visible.into_view())?;
    Ok(())
}

/// Registers a committed table: each catalogued partition reads exactly the files its
/// symlink manifest lists ([`SymlinkTable`]), as Athena reads a `SymlinkTextInputFormat`
/// table. A partition without a manifest (never committed) is empty.
async fn register_committed(
    ctx: &SessionContext,
    lake_root: &Path,
    table: &CommittedTable,
    values: &[String],
) -> Result<()> {
    let store = LocalBlobStore::new(lake_root);
    let mut partitions = Vec::with_capacity(values.len());
    for value in values {
        let mut files = Vec::new();
        for key in manifest_files(&store, table, value).await? {
            let path = store.path_of(&key)?;
            let unreadable = |error: &dyn std::fmt::Display| {
                Error::Query(format!(
                    "{} {}: the manifest lists {key}, which cannot be read: {error}",
                    table.name(),
                    table.partition_name(value)
                ))
            };
            let size = std::fs::metadata(&path).map_err(|error| unreadable(&error))?.len();
            // Only the compactor writes sorted files, into the compacted prefix.
            let sorted = match table.compacted_prefix {
                Some(prefix) if key.starts_with(prefix) => {
                    in_session_order(&path).map_err(|error| unreadable(&error))?
                }
                _ => false,
            };
            files.push(SymlinkFile { path, size, sorted });
        }
        partitions.push(SymlinkPartition { value: value.clone(), files });
    }
    let mut provider =
        SymlinkTable::new(table.spec.file_schema(), table.partition_key(), partitions);
    if table.compacted_prefix.is_some() {
        let schema = DFSchema::try_from(provider.schema().as_ref().clone())?;
        let order = SESSION_ORDER_SQL
            .iter()
            .map(|sql| Ok(ctx.parse_sql_expr(sql, &schema)?.sort(true, false)))
            .collect::<Result<Vec<_>>>()?;
        provider = provider.with_sort_order(order);
    }
    ctx.register_table(table.name(), Arc::new(provider))?;
    Ok(())
}

/// The compactor's row order ([`pipeline_core::compact::SESSION_ORDER`]) as SQL, ascending:
/// the order of the gold queries' windows over a session (`sql/gold/`), character for
/// character, so that DataFusion recognises that sorted files already satisfy it, then
/// `event_id` (which the queries never read: see [`GOLD_WINDOW_ORDER`]).
pub const SESSION_ORDER_SQL: [&str; 9] = [
    "session_id",
    "event_ts",
    "CASE event_type WHEN 'PLAY_START' THEN 0 WHEN 'PAUSE' THEN 2 WHEN 'REBUFFER_START' THEN 2 \
     WHEN 'PLAY_STOP' THEN 3 WHEN 'PLAYBACK_ERROR' THEN 3 ELSE 1 END",
    "event_type",
    "title_id",
    "profile_id",
    "country",
    "device_type",
    "event_id",
];

/// How many leading expressions of [`SESSION_ORDER_SQL`] the gold windows use:
/// `PARTITION BY session_id ORDER BY` the next seven. Their ties are broken by every column
/// the queries read, so rows that still tie are interchangeable for every aggregate, and
/// `event_id`, four fifths of the bytes these queries would otherwise scan, is not read.
pub const GOLD_WINDOW_ORDER: usize = 8;

/// Whether the Parquet file at `path` says in its footer that its rows are in session order.
fn in_session_order(path: &Path) -> std::result::Result<bool, String> {
    let file = std::fs::File::open(path).map_err(|error| error.to_string())?;
    let metadata = parquet::file::metadata::ParquetMetaDataReader::new()
        .parse_and_finish(&file)
        .map_err(|error| error.to_string())?;
    Ok(metadata.file_metadata().key_value_metadata().is_some_and(|pairs| {
        pairs.iter().any(|pair| {
            pair.key == pipeline_core::compact::SORT_ORDER_KEY
                && pair.value.as_deref() == Some(pipeline_core::compact::SESSION_ORDER)
        })
    }))
}

/// Registers the files ending in `extension` under `spec.location` as `spec.name`, with the
/// spec's schema; an empty table when there are none yet.
fn register_unpartitioned(
    ctx: &SessionContext,
    lake_root: &Path,
    spec: &TableSpec,
    format: Arc<dyn datafusion::datasource::file_format::FileFormat>,
    extension: &str,
) -> Result<()> {
    let location = lake_root.join(spec.location);
    let has_file = std::fs::read_dir(&location)
        .map(|entries| {
            entries.flatten().any(|entry| entry.file_name().to_string_lossy().ends_with(extension))
        })
        .unwrap_or(false);
    if !has_file {
        let empty = MemTable::try_new(spec.file_schema(), vec![vec![]])?;
        ctx.register_table(spec.name, Arc::new(empty))?;
        return Ok(());
    }
    let options = ListingOptions::new(format).with_file_extension(extension);
    let config = ListingTableConfig::new(directory_url(&location)?)
        .with_listing_options(options)
        .with_schema(spec.file_schema());
    ctx.register_table(spec.name, Arc::new(ListingTable::try_new(config)?))?;
    Ok(())
}

/// Converts Arrow batches into the engine-neutral [`QueryResult`].
pub fn to_query_result(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<QueryResult> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| ResultColumn {
            name: field.name().clone(),
            type_name: field.data_type().to_string(),
        })
        .collect();
    let mut rows = Vec::new();
    for batch in batches {
        let cells: Vec<Vec<Value>> =
            batch.columns().iter().map(column_values).collect::<Result<_>>()?;
        for row in 0..batch.num_rows() {
            rows.push(cells.iter().map(|column| column[row].clone()).collect());
        }
    }
    Ok(QueryResult { columns, rows, ..QueryResult::default() })
}

fn column_values(array: &ArrayRef) -> Result<Vec<Value>> {
    let len = array.len();
    let data_type = array.data_type();
    let values = if data_type.is_signed_integer() {
        let ints = cast(array, &DataType::Int64)?;
        let ints = ints
            .as_any()
            .downcast_ref::<arrow::array::Int64Array>()
            .ok_or_else(|| Error::Query("cast".into()))?;
        (0..len)
            .map(|i| if ints.is_null(i) { Value::Null } else { Value::from(ints.value(i)) })
            .collect()
    } else if data_type.is_unsigned_integer() {
        let ints = cast(array, &DataType::UInt64)?;
        let ints = ints
            .as_any()
            .downcast_ref::<arrow::array::UInt64Array>()
            .ok_or_else(|| Error::Query("cast".into()))?;
        (0..len)
            .map(|i| if ints.is_null(i) { Value::Null } else { Value::from(ints.value(i)) })
            .collect()
    } else if data_type.is_floating()
        || matches!(data_type, DataType::Decimal128(..) | DataType::Decimal256(..))
    {
        let floats = cast(array, &DataType::Float64)?;
        let floats = floats
            .as_any()
            .downcast_ref::<arrow::array::Float64Array>()
            .ok_or_else(|| Error::Query("cast".into()))?;
        (0..len)
            .map(|i| {
                if floats.is_null(i) {
                    Value::Null
                } else {
                    Number::from_f64(floats.value(i)).map(Value::Number).unwrap_or(Value::Null)
                }
            })
            .collect()
    } else if matches!(data_type, DataType::Boolean) {
        let bools = array
            .as_any()
            .downcast_ref::<arrow::array::BooleanArray>()
            .ok_or_else(|| Error::Query("cast".into()))?;
        (0..len)
            .map(|i| if bools.is_null(i) { Value::Null } else { Value::Bool(bools.value(i)) })
            .collect()
    } else {
        let options = FormatOptions::default();
        let formatter = ArrayFormatter::try_new(array.as_ref(), &options)?;
        (0..len)
            .map(|i| {
                if array.is_null(i) {
                    Value::Null
                } else {
                    Value::String(formatter.value(i).to_string())
                }
            })
            .collect()
    };
    Ok(values)
}

#[async_trait]
impl QueryEngine for LocalQueryEngine {
    async fn query(&self, sql: &str) -> pipeline_core::Result<QueryResult> {
        let (schema, batches) = self.query_batches(sql).await.map_err(|error| match error {
            Error::Core(core) => core,
            other => pipeline_core::Error::Invalid(other.to_string()),
        })?;
        to_query_result(&schema, &batches)
            .map_err(|error| pipeline_core::Error::Invalid(error.to_string()))
    }
}

impl From<arrow::error::ArrowError> for Error {
    fn from(error: arrow::error::ArrowError) -> Self {
        Error::Query(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn normalised(sql: &str) -> String {
        sql.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The declared order of sorted silver files is the gold windows' order, text for text:
    /// otherwise DataFusion would not see that the files already satisfy it, and sort.
    #[test]
    fn the_session_order_is_the_gold_windows_order() {
        let order = format!(
            "PARTITION BY {} ORDER BY {}",
            SESSION_ORDER_SQL[0],
            SESSION_ORDER_SQL[1..GOLD_WINDOW_ORDER].join(", ")
        );
        let order = normalised(&order);
        let windows: Vec<_> = pipeline_core::gold::GOLD_QUERIES
            .iter()
            .filter(|query| query.sql.contains("PARTITION BY session_id"))
            .collect();
        assert_eq!(windows.len(), 4);
        for query in windows {
            let sql = normalised(query.sql);
            assert_eq!(
                sql.matches("PARTITION BY session_id").count(),
                sql.matches(order.as_str()).count(),
                "{}: every window over a session uses {order}",
                query.table.name
            );
        }
    }

    /// The compactor ranks event types as the SQL `CASE` of the order does.
    #[tokio::test]
    async fn the_compactor_ranks_event_types_as_the_sql_does() {
        let ctx = SessionContext::new();
        for event_type in [
            "PLAY_START",
            "HEARTBEAT",
            "RESUME",
            "SEEK",
            "REBUFFER_START",
            "REBUFFER_END",
            "PAUSE",
            "PLAY_STOP",
            "PLAYBACK_ERROR",
            "UNKNOWN",
        ] {
            let sql = format!(
                "SELECT {} AS rank FROM (SELECT '{event_type}' AS event_type)",
                SESSION_ORDER_SQL[2]
            );
            let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
            let rank = batches[0]
                .column(0)
                .as_any()
                .downcast_ref::<arrow::array::Int64Array>()
                .unwrap()
                .value(0);
            assert_eq!(
                rank,
                i64::from(pipeline_core::compact::event_type_rank(event_type)),
                "{event_type}"
            );
        }
    }
}
