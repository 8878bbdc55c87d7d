-- Gold: plays, hours viewed, views (hours viewed / runtime hours) and distinct profiles per title and day.
-- Written by the gold refresh (sql/gold/daily_title_engagement.sql): UNLOAD on Athena, streamlake gold locally,
-- each day committed to its symlink manifest (docs/data_model.md, "Committed tables"); the
-- files live under gold/netflix/daily_title_engagement/.
CREATE EXTERNAL TABLE IF NOT EXISTS daily_title_engagement (
  title_id string,
  title_name string,
  plays bigint,
  hours_viewed double,
  views double,
  unique_profiles bigint
)
PARTITIONED BY (event_date string)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://${processed_bucket}/gold/netflix/manifests/daily_title_engagement/'
TBLPROPERTIES ('parquet.compression' = 'SNAPPY');
