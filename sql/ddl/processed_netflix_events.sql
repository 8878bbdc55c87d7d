-- Silver: validated, deduplicated, PII-free playback events (Snappy Parquet).
-- A committed table (docs/data_model.md, "Committed tables"): each partition's location holds
-- one symlink manifest listing the Parquet files of its committed version, under
-- processed/netflix/processed_partitioned/ (appends) and processed_compacted/ (compactions).
-- The registrar appends new files and registers new partitions; compaction rewrites them.
CREATE EXTERNAL TABLE IF NOT EXISTS processed_netflix_events (
  event_id string,
  user_id string,
  profile_id string,
  title_id string,
  session_id string,
  event_type string,
  device_type string,
  country string,
  event_ts bigint,
  event_timestamp timestamp,
  position_ms bigint,
  bitrate_kbps int,
  app_version string,
  ingest_timestamp timestamp,
  source_object string
)
PARTITIONED BY (event_date string)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://${processed_bucket}/processed/netflix/processed_manifests/'
TBLPROPERTIES ('parquet.compression' = 'SNAPPY');
