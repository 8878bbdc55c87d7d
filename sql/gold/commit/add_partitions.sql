-- Registers committed gold days in the Glue catalog through Athena DDL, so that the
-- query-runner needs no Glue client. Each partition's location is its symlink manifest
-- directory (gold/netflix/manifests/<table>/<key>=<day>/). Idempotent.
-- Placeholders (the names in braces below), substituted by pipeline-core: table; and
-- partitions, one `PARTITION (<key> = '<day>') LOCATION 's3://…/'` per day.
ALTER TABLE `{table}` ADD IF NOT EXISTS
{partitions}
