-- Gold: hours viewed, plays and sessions per country, device and day.
-- Written by the gold refresh (sql/gold/daily_engagement_by_country_device.sql): INSERT INTO on Athena, streamlake gold locally.
CREATE EXTERNAL TABLE IF NOT EXISTS daily_engagement_by_country_device (
  country string,
  device_type string,
  plays bigint,
  sessions bigint,
  hours_viewed double
)
PARTITIONED BY (event_date string)
STORED AS PARQUET
LOCATION 's3://${processed_bucket}/gold/netflix/daily_engagement_by_country_device/'
TBLPROPERTIES ('parquet.compression' = 'SNAPPY');
