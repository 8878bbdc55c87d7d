-- Gold: silver rows per event type and day.
-- Written by the gold refresh (sql/gold/daily_event_types.sql): UNLOAD on Athena, streamlake gold locally,
-- each day committed to its symlink manifest (docs/data_model.md, "Committed tables"); the
-- files live under gold/netflix/daily_event_types/.
CREATE EXTERNAL TABLE IF NOT EXISTS daily_event_types (
  event_type string,
  events bigint
)
PARTITIONED BY (event_date string)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://${processed_bucket}/gold/netflix/manifests/daily_event_types/'
TBLPROPERTIES ('parquet.compression' = 'SNAPPY');
