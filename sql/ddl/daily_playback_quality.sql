-- Gold: rebuffer ratio, error sessions per 1,000 and time to first heartbeat per country, device and day.
-- Written by the gold refresh (sql/gold/daily_playback_quality.sql): UNLOAD on Athena, streamlake gold locally,
-- each day committed to its symlink manifest (docs/data_model.md, "Committed tables"); the
-- files live under gold/netflix/daily_playback_quality/.
CREATE EXTERNAL TABLE IF NOT EXISTS daily_playback_quality (
  country string,
  device_type string,
  sessions bigint,
  playing_hours double,
  rebuffer_hours double,
  rebuffer_ratio double,
  error_sessions bigint,
  error_sessions_per_1000 double,
  ttfh_median_s bigint,
  ttfh_p95_s bigint
)
PARTITIONED BY (event_date string)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://${processed_bucket}/gold/netflix/manifests/daily_playback_quality/'
TBLPROPERTIES ('parquet.compression' = 'SNAPPY');
