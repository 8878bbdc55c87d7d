-- Gold: the ledgers summed per arrival day (records in, written, quarantined, duplicates, rejection rate).
-- Written by the gold refresh (sql/gold/daily_data_quality.sql): INSERT INTO on Athena, streamlake gold locally.
CREATE EXTERNAL TABLE IF NOT EXISTS daily_data_quality (
  raw_objects bigint,
  records_in bigint,
  written bigint,
  quarantined bigint,
  duplicates_dropped bigint,
  rejection_rate double
)
PARTITIONED BY (ingest_date string)
STORED AS PARQUET
LOCATION 's3://${processed_bucket}/gold/netflix/daily_data_quality/'
TBLPROPERTIES ('parquet.compression' = 'SNAPPY');
