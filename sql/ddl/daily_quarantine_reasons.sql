-- Gold: quarantined rows per reason code and arrival day.
-- Written by the gold refresh (sql/gold/daily_quarantine_reasons.sql): UNLOAD on Athena, streamlake gold locally,
-- each day committed to its symlink manifest (docs/data_model.md, "Committed tables"); the
-- files live under gold/netflix/daily_quarantine_reasons/.
CREATE EXTERNAL TABLE IF NOT EXISTS daily_quarantine_reasons (
  reason_code string,
  quarantined bigint
)
PARTITIONED BY (ingest_date string)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://${processed_bucket}/gold/netflix/manifests/daily_quarantine_reasons/'
TBLPROPERTIES ('parquet.compression' = 'SNAPPY');
