-- Silver: validated, deduplicated, PII-free playback events (Snappy Parquet).
-- Partitions are registered by the registrar Lambda as the transformer writes them.
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
STORED AS PARQUET
LOCATION 's3://${processed_bucket}/processed/netflix/processed_partitioned/'
TBLPROPERTIES ('parquet.compression' = 'SNAPPY');
