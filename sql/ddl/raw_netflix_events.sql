-- Bronze: the Firehose raw zone, gzip NDJSON, read with the OpenX JSON SerDe.
-- Access-restricted: it holds PII (client_ip, email). Partitions are projected from the
-- Firehose prefix, so no registration is needed.
CREATE EXTERNAL TABLE IF NOT EXISTS raw_netflix_events (
  event_id string,
  user_id string,
  profile_id string,
  title_id string,
  session_id string,
  event_type string,
  event_ts bigint,
  position_ms bigint,
  device_type string,
  country string,
  app_version string,
  bitrate_kbps int,
  client_ip string,
  email string
)
PARTITIONED BY (ingest_year string, ingest_month string, ingest_day string, ingest_hour string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true', 'case.insensitive' = 'true')
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://${raw_bucket}/raw/netflix/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.ingest_year.type' = 'integer',
  'projection.ingest_year.range' = '2020,2099',
  'projection.ingest_month.type' = 'integer',
  'projection.ingest_month.range' = '1,12',
  'projection.ingest_month.digits' = '2',
  'projection.ingest_day.type' = 'integer',
  'projection.ingest_day.range' = '1,31',
  'projection.ingest_day.digits' = '2',
  'projection.ingest_hour.type' = 'integer',
  'projection.ingest_hour.range' = '0,23',
  'projection.ingest_hour.digits' = '2',
  'storage.location.template' = 's3://${raw_bucket}/raw/netflix/ingest_year=${ingest_year}/ingest_month=${ingest_month}/ingest_day=${ingest_day}/ingest_hour=${ingest_hour}/'
);
