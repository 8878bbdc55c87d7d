-- Gold: sessions per whole second of time to first heartbeat, so percentiles stay exact over any range.
-- Written by the gold refresh (sql/gold/daily_ttfh_distribution.sql): UNLOAD on Athena, streamlake gold locally,
-- each day committed to its symlink manifest (docs/data_model.md, "Committed tables"); the
-- files live under gold/netflix/daily_ttfh_distribution/.
CREATE EXTERNAL TABLE IF NOT EXISTS daily_ttfh_distribution (
  country string,
  device_type string,
  ttfh_s bigint,
  sessions bigint
)
PARTITIONED BY (event_date string)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://${processed_bucket}/gold/netflix/manifests/daily_ttfh_distribution/'
TBLPROPERTIES ('parquet.compression' = 'SNAPPY');
