-- Rejected records with their reason code (Snappy Parquet). Access-restricted like bronze:
-- raw_record keeps the original line, PII included, truncated to 64 KiB.
CREATE EXTERNAL TABLE IF NOT EXISTS quarantined_netflix_events (
  reason_code string,
  detail string,
  source_object string,
  line_number bigint,
  raw_record string,
  quarantined_at timestamp
)
PARTITIONED BY (ingest_date string)
STORED AS PARQUET
LOCATION 's3://${raw_bucket}/quarantine/netflix/quarantine/'
TBLPROPERTIES ('parquet.compression' = 'SNAPPY');
