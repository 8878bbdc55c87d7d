-- Gold: the ledgers summed per arrival day (records in, written, quarantined, duplicates, rejection rate).
-- Written by the gold refresh (sql/gold/daily_data_quality.sql): UNLOAD on Athena, streamlake gold locally,
-- each day committed to its symlink manifest (docs/data_model.md, "Committed tables"); the
-- files live under gold/netflix/daily_data_quality/.
CREATE EXTERNAL TABLE IF NOT EXISTS daily_data_quality (
  raw_objects bigint,
  records_in bigint,
  written bigint,
  quarantined bigint,
  duplicates_dropped bigint,
  rejection_rate double
)
PARTITIONED BY (ingest_date string)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://${processed_bucket}/gold/netflix/manifests/daily_data_quality/'
TBLPROPERTIES ('parquet.compression' = 'SNAPPY');
