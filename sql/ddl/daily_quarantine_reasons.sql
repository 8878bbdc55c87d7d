-- Gold: quarantined rows per reason code and arrival day.
-- Written by the gold refresh (sql/gold/daily_quarantine_reasons.sql): INSERT INTO on Athena, streamlake gold locally.
CREATE EXTERNAL TABLE IF NOT EXISTS daily_quarantine_reasons (
  reason_code string,
  quarantined bigint
)
PARTITIONED BY (ingest_date string)
STORED AS PARQUET
LOCATION 's3://${processed_bucket}/gold/netflix/daily_quarantine_reasons/'
TBLPROPERTIES ('parquet.compression' = 'SNAPPY');
