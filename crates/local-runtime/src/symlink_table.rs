//! A DataFusion table over Hive symlink manifests: the local twin of a Glue table with
//! `SymlinkTextInputFormat`.
//!
//! DataFusion has no symlink reader, so this is the small provider Athena's reader implies:
//! each registered partition contributes the Parquet files its manifest lists (read once,
//! when the engine opens: one consistent version per partition), with the partition value
//! taken from the catalog, not from the file's path. Filters on the partition column prune
//! whole partitions before any file is opened, as Athena's partition pruning does; the other
//! filters go to the Parquet scan (row-group statistics, page index).
//!
//! Like Trino, a listed file that does not exist fails the query: the manifest is the table.
//!
//! **Row order.** A table may know an order its files can be sorted in (silver: the session
//! order of the compactor, `pipeline_core::compact::SESSION_ORDER`). When every file a scan
//! reads says in its footer that it is sorted so, each file is its own scan partition with
//! that output ordering: DataFusion then merges the files where a query needs the order (the
//! gold queries' windows over sessions) instead of sorting days of rows. Otherwise the scan
//! declares no order and the files are spread over the cores by size.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::listing::helpers::{expr_applicable_for_cols, filter_partitioned_file};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder};
use datafusion::datasource::table_schema::TableSchemaBuilder;
use datafusion::datasource::TableType;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::{Expr, SortExpr, TableProviderFilterPushDown};
use datafusion::physical_expr::create_lex_ordering;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::ExecutionPlan;

/// One listed file.
#[derive(Debug, Clone)]
pub struct SymlinkFile {
    /// Absolute path.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Whether the file's rows are in the table's [`SymlinkTable::with_sort_order`] order.
    pub sorted: bool,
}

/// One partition: its value and the files its manifest lists.
#[derive(Debug, Clone)]
pub struct SymlinkPartition {
    /// The partition value (`2026-01-02`).
    pub value: String,
    /// The listed files, in manifest order.
    pub files: Vec<SymlinkFile>,
}

/// A table whose partitions are symlink manifests.
#[derive(Debug)]
pub struct SymlinkTable {
    file_schema: SchemaRef,
    table_schema: SchemaRef,
    partition_key: String,
    partitions: Vec<SymlinkPartition>,
    sort_order: Option<Vec<SortExpr>>,
}

impl SymlinkTable {
    /// A table with `file_schema` columns and the `partition_key` string column, over
    /// `partitions`.
    pub fn new(
        file_schema: SchemaRef,
        partition_key: &str,
        partitions: Vec<SymlinkPartition>,
    ) -> Self {
        let mut fields: Vec<Field> =
            file_schema.fields().iter().map(|field| field.as_ref().clone()).collect();
        fields.push(Field::new(partition_key, DataType::Utf8, false));
        Self {
            table_schema: Arc::new(arrow::datatypes::Schema::new(fields)),
            file_schema,
            partition_key: partition_key.to_owned(),
            partitions,
            sort_order: None,
        }
    }

    /// Declares the order that files marked [`SymlinkFile::sorted`] are in (expressions over
    /// the table's columns).
    pub fn with_sort_order(mut self, order: Vec<SortExpr>) -> Self {
        self.sort_order = Some(order);
        self
    }

    /// Files over every partition.
    pub fn file_count(&self) -> usize {
        self.partitions.iter().map(|partition| partition.files.len()).sum()
    }

    fn partition_field(&self) -> Arc<Field> {
        Arc::new(Field::new(&self.partition_key, DataType::Utf8, false))
    }
}

#[async_trait]
impl TableProvider for SymlinkTable {
    fn schema(&self) -> SchemaRef {
        self.table_schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> datafusion::common::Result<Vec<TableProviderFilterPushDown>> {
        let key = [self.partition_key.as_str()];
        Ok(filters
            .iter()
            .map(|filter| {
                if expr_applicable_for_cols(&key, filter) {
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Inexact
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> datafusion::common::Result<Arc<dyn ExecutionPlan>> {
        let key = [self.partition_key.as_str()];
        let partition_filters: Vec<Expr> = filters
            .iter()
            .filter(|filter| expr_applicable_for_cols(&key, filter))
            .cloned()
            .collect();
        let partition_schema = DFSchema::try_from(arrow::datatypes::Schema::new(vec![self
            .partition_field()
            .as_ref()
            .clone()]))?;
        let mut files = Vec::new();
        let mut all_sorted = true;
        for partition in &self.partitions {
            for listed in &partition.files {
                let location = listed.path.to_string_lossy();
                let file = PartitionedFile::new(location.trim_start_matches('/'), listed.size)
                    .with_partition_values(vec![ScalarValue::Utf8(Some(partition.value.clone()))]);
                if let Some(file) =
                    filter_partitioned_file(file, &partition_filters, &partition_schema)?
                {
                    all_sorted &= listed.sorted;
                    files.push(file);
                }
            }
        }
        if files.is_empty() {
            let schema = match projection {
                Some(indices) => Arc::new(self.table_schema.project(indices)?),
                None => self.table_schema.clone(),
            };
            return Ok(Arc::new(EmptyExec::new(schema)));
        }
        let (groups, ordering) = match &self.sort_order {
            // Every file sorted: one scan partition per file, each in the declared order.
            Some(order) if all_sorted => {
                let ordering = create_lex_ordering(
                    &self.table_schema,
                    std::slice::from_ref(order),
                    state.execution_props(),
                )?;
                (files.into_iter().map(|file| FileGroup::new(vec![file])).collect(), ordering)
            }
            // Spread the files over the session's partitions, largest first, so that every
            // core gets a similar share of bytes.
            _ => {
                let lanes = state.config().target_partitions().max(1).min(files.len());
                files.sort_by_key(|file| std::cmp::Reverse(file.object_meta.size));
                let mut groups: Vec<(u64, Vec<PartitionedFile>)> = vec![(0, Vec::new()); lanes];
                for file in files {
                    let size = file.object_meta.size;
                    if let Some(lightest) = groups.iter_mut().min_by_key(|(bytes, _)| *bytes) {
                        lightest.0 += size;
                        lightest.1.push(file);
                    }
                }
                (groups.into_iter().map(|(_, files)| FileGroup::new(files)).collect(), vec![])
            }
        };
        let format = ParquetFormat::default();
        let table_schema = TableSchemaBuilder::new(self.file_schema.clone())
            .with_table_partition_cols(vec![self.partition_field()])
            .build();
        let source = format.file_source(table_schema);
        let config = FileScanConfigBuilder::new(ObjectStoreUrl::local_filesystem(), source)
            .with_file_groups(groups)
            .with_output_ordering(ordering)
            .with_projection_indices(projection.cloned())?
            .with_limit(limit)
            .build();
        format.create_physical_plan(state, config).await
    }
}
