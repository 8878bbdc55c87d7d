-- The title dimension shipped by the generator (one Snappy Parquet file).
CREATE EXTERNAL TABLE IF NOT EXISTS netflix_titles (
  title_id string,
  title_name string,
  genre string,
  content_type string,
  runtime_minutes int,
  release_year int
)
STORED AS PARQUET
LOCATION 's3://${processed_bucket}/processed/netflix/netflix_titles/'
TBLPROPERTIES ('parquet.compression' = 'SNAPPY');
