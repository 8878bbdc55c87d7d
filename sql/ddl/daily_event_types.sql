-- Gold: silver rows per event type and day.
-- Written by the gold refresh (sql/gold/daily_event_types.sql): INSERT INTO on Athena, streamlake gold locally.
CREATE EXTERNAL TABLE IF NOT EXISTS daily_event_types (
  event_type string,
  events bigint
)
PARTITIONED BY (event_date string)
STORED AS PARQUET
LOCATION 's3://${processed_bucket}/gold/netflix/daily_event_types/'
TBLPROPERTIES ('parquet.compression' = 'SNAPPY');
