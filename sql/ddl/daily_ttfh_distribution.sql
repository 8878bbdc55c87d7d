-- Gold: sessions per whole second of time to first heartbeat, so percentiles stay exact over any range.
-- Written by the gold refresh (sql/gold/daily_ttfh_distribution.sql): INSERT INTO on Athena, streamlake gold locally.
CREATE EXTERNAL TABLE IF NOT EXISTS daily_ttfh_distribution (
  country string,
  device_type string,
  ttfh_s bigint,
  sessions bigint
)
PARTITIONED BY (event_date string)
STORED AS PARQUET
LOCATION 's3://${processed_bucket}/gold/netflix/daily_ttfh_distribution/'
TBLPROPERTIES ('parquet.compression' = 'SNAPPY');
