-- Gold: plays, hours viewed, views (hours viewed / runtime hours) and distinct profiles per title and day.
-- Written by the gold refresh (sql/gold/daily_title_engagement.sql): INSERT INTO on Athena, streamlake gold locally.
CREATE EXTERNAL TABLE IF NOT EXISTS daily_title_engagement (
  title_id string,
  title_name string,
  plays bigint,
  hours_viewed double,
  views double,
  unique_profiles bigint
)
PARTITIONED BY (event_date string)
STORED AS PARQUET
LOCATION 's3://${processed_bucket}/gold/netflix/daily_title_engagement/'
TBLPROPERTIES ('parquet.compression' = 'SNAPPY');
