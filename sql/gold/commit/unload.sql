-- The gold refresh on Athena (the query-runner's refresh_gold): one gold query, written by
-- UNLOAD as Snappy Parquet (stated: Athena's default for Parquet is GZIP) into a prefix of its
-- own for every refresh run and attempt (UNLOAD needs an empty destination), one directory
-- per day of the table's partition column, which is the query's last column. The files are
-- then committed to each day's symlink manifest (DESIGN §8); nothing is deleted first.
-- Placeholders (the names in braces below), substituted by pipeline-core with validated
-- values, never user input: query, a file of sql/gold/; destination,
-- s3://…/gold/netflix/<table>/unload/<run>/; partition_key, event_date or ingest_date.
UNLOAD (
{query}
)
TO '{destination}'
WITH (format = 'PARQUET', compression = 'SNAPPY', partitioned_by = ARRAY['{partition_key}'])
