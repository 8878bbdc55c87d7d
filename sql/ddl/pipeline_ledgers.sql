-- The transformer's ledgers: one JSON object per line, one file per processed raw object.
-- Only the scalar fields are declared; outputs and the per-reason maps are ignored.
CREATE EXTERNAL TABLE IF NOT EXISTS pipeline_ledgers (
  source string,
  records_in bigint,
  written bigint,
  quarantined bigint,
  duplicates_dropped bigint,
  digest string,
  source_etag string,
  bytes_in bigint,
  ingest_timestamp string
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'FALSE')
LOCATION 's3://${raw_bucket}/ledger/netflix/';
