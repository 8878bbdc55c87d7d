-- Gold: hours viewed, plays and sessions per country, device and day.
-- Written by the gold refresh (sql/gold/daily_engagement_by_country_device.sql): UNLOAD on Athena, streamlake gold locally,
-- each day committed to its symlink manifest (docs/data_model.md, "Committed tables"); the
-- files live under gold/netflix/daily_engagement_by_country_device/.
CREATE EXTERNAL TABLE IF NOT EXISTS daily_engagement_by_country_device (
  country string,
  device_type string,
  plays bigint,
  sessions bigint,
  hours_viewed double
)
PARTITIONED BY (event_date string)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://${processed_bucket}/gold/netflix/manifests/daily_engagement_by_country_device/'
TBLPROPERTIES ('parquet.compression' = 'SNAPPY');
