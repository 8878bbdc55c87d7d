-- StreamLake gold in Snowflake, step 2: one external table per gold table.
-- Columns and order follow the gold tables (docs/data_model.md, crates/event-model/src/schema.rs, sql/ddl/*.sql):
-- string -> VARCHAR, bigint -> BIGINT, double -> DOUBLE. The partition column (event_date or
-- ingest_date) stays a 'YYYY-MM-DD' VARCHAR, as in Glue.
--
-- Partitions: gold tables are committed tables (docs/data_model.md, "Committed tables"). A day
-- is exactly the files its commit state gold/netflix/commits/<table>/<col>=<day>.json lists,
-- all in one directory, gold/netflix/<table>/unload/<run>/<col>=<day>/. Every refresh writes a
-- new directory; the superseded one stays until garbage collection deletes it
-- (gc_grace_seconds, 1 h by default, after the commit that replaced it), and a failed refresh
-- attempt's stays for good. A table over the whole prefix would count those days twice, and
-- Snowflake cannot read the symlink manifests that Athena reads. So the partitions are
-- user-specified: one per day, at its committed directory, added and dropped by
-- sync_partitions.sh (README.md, "Keeping the tables current"). The partition column is the
-- value ADD PARTITION gives (METADATA$EXTERNAL_TABLE_PARTITION), not parsed from the path.
--
-- User-specified partitions have no automatic refresh: ALTER EXTERNAL TABLE ... REFRESH, ADD
-- FILES, REMOVE FILES and AUTO_REFRESH are not supported on them, and CREATE with
-- AUTO_REFRESH = TRUE is an error. Neither AUTO_REFRESH nor REFRESH_ON_CREATE is given, as in
-- Snowflake's own example of user-specified partitions. A new table has no partitions and
-- reads nothing until the first sync.
--
-- Running this file again replaces the tables, partitions included: delete the sync state file
-- (.streamlake-snowflake-sync.json) before the next sync, which then adds every day.

USE ROLE streamlake_gold_owner;
USE SCHEMA streamlake.gold;

-- A stack set up with the earlier version of this file has the task refresh_streamlake_gold,
-- whose ALTER EXTERNAL TABLE ... REFRESH statements fail on these tables.
DROP TASK IF EXISTS refresh_streamlake_gold;

CREATE OR REPLACE EXTERNAL TABLE daily_title_engagement (
  title_id        VARCHAR AS (VALUE:title_id::VARCHAR),
  title_name      VARCHAR AS (VALUE:title_name::VARCHAR),
  plays           BIGINT  AS (VALUE:plays::BIGINT),
  hours_viewed    DOUBLE  AS (VALUE:hours_viewed::DOUBLE),
  views           DOUBLE  AS (VALUE:views::DOUBLE),
  unique_profiles BIGINT  AS (VALUE:unique_profiles::BIGINT),
  event_date      VARCHAR AS (PARSE_JSON(METADATA$EXTERNAL_TABLE_PARTITION):EVENT_DATE::VARCHAR)
)
PARTITION BY (event_date)
LOCATION = @streamlake_gold/daily_title_engagement/
PARTITION_TYPE = USER_SPECIFIED
FILE_FORMAT = (FORMAT_NAME = 'streamlake_gold_parquet')
COMMENT = 'Plays, hours viewed, views (hours viewed / runtime hours) and distinct profiles per title and day. unique_profiles is not additive across days.';

CREATE OR REPLACE EXTERNAL TABLE daily_engagement_by_country_device (
  country      VARCHAR AS (VALUE:country::VARCHAR),
  device_type  VARCHAR AS (VALUE:device_type::VARCHAR),
  plays        BIGINT  AS (VALUE:plays::BIGINT),
  sessions     BIGINT  AS (VALUE:sessions::BIGINT),
  hours_viewed DOUBLE  AS (VALUE:hours_viewed::DOUBLE),
  event_date   VARCHAR AS (PARSE_JSON(METADATA$EXTERNAL_TABLE_PARTITION):EVENT_DATE::VARCHAR)
)
PARTITION BY (event_date)
LOCATION = @streamlake_gold/daily_engagement_by_country_device/
PARTITION_TYPE = USER_SPECIFIED
FILE_FORMAT = (FORMAT_NAME = 'streamlake_gold_parquet')
COMMENT = 'Hours viewed, plays and sessions (by the day of their first event) per country, device and day.';

CREATE OR REPLACE EXTERNAL TABLE daily_playback_quality (
  country                 VARCHAR AS (VALUE:country::VARCHAR),
  device_type             VARCHAR AS (VALUE:device_type::VARCHAR),
  sessions                BIGINT  AS (VALUE:sessions::BIGINT),
  playing_hours           DOUBLE  AS (VALUE:playing_hours::DOUBLE),
  rebuffer_hours          DOUBLE  AS (VALUE:rebuffer_hours::DOUBLE),
  rebuffer_ratio          DOUBLE  AS (VALUE:rebuffer_ratio::DOUBLE),   -- NULL when no playing time
  error_sessions          BIGINT  AS (VALUE:error_sessions::BIGINT),
  error_sessions_per_1000 DOUBLE  AS (VALUE:error_sessions_per_1000::DOUBLE),
  ttfh_median_s           BIGINT  AS (VALUE:ttfh_median_s::BIGINT),    -- NULL without heartbeats
  ttfh_p95_s              BIGINT  AS (VALUE:ttfh_p95_s::BIGINT),       -- NULL without heartbeats
  event_date              VARCHAR AS (PARSE_JSON(METADATA$EXTERNAL_TABLE_PARTITION):EVENT_DATE::VARCHAR)
)
PARTITION BY (event_date)
LOCATION = @streamlake_gold/daily_playback_quality/
PARTITION_TYPE = USER_SPECIFIED
FILE_FORMAT = (FORMAT_NAME = 'streamlake_gold_parquet')
COMMENT = 'Rebuffer ratio, error sessions per 1,000 and exact TTFH median/p95 per country, device and day. Ratios and percentiles are not additive: recompute from sums and from daily_ttfh_distribution.';

CREATE OR REPLACE EXTERNAL TABLE daily_ttfh_distribution (
  country     VARCHAR AS (VALUE:country::VARCHAR),
  device_type VARCHAR AS (VALUE:device_type::VARCHAR),
  ttfh_s      BIGINT  AS (VALUE:ttfh_s::BIGINT),
  sessions    BIGINT  AS (VALUE:sessions::BIGINT),
  event_date  VARCHAR AS (PARSE_JSON(METADATA$EXTERNAL_TABLE_PARTITION):EVENT_DATE::VARCHAR)
)
PARTITION BY (event_date)
LOCATION = @streamlake_gold/daily_ttfh_distribution/
PARTITION_TYPE = USER_SPECIFIED
FILE_FORMAT = (FORMAT_NAME = 'streamlake_gold_parquet')
COMMENT = 'Exact histogram of time to first heartbeat (sessions per whole second): exact percentiles over any range.';

CREATE OR REPLACE EXTERNAL TABLE daily_event_types (
  event_type VARCHAR AS (VALUE:event_type::VARCHAR),
  events     BIGINT  AS (VALUE:events::BIGINT),
  event_date VARCHAR AS (PARSE_JSON(METADATA$EXTERNAL_TABLE_PARTITION):EVENT_DATE::VARCHAR)
)
PARTITION BY (event_date)
LOCATION = @streamlake_gold/daily_event_types/
PARTITION_TYPE = USER_SPECIFIED
FILE_FORMAT = (FORMAT_NAME = 'streamlake_gold_parquet')
COMMENT = 'Silver rows per event type and day.';

CREATE OR REPLACE EXTERNAL TABLE daily_data_quality (
  raw_objects        BIGINT  AS (VALUE:raw_objects::BIGINT),
  records_in         BIGINT  AS (VALUE:records_in::BIGINT),
  written            BIGINT  AS (VALUE:written::BIGINT),
  quarantined        BIGINT  AS (VALUE:quarantined::BIGINT),
  duplicates_dropped BIGINT  AS (VALUE:duplicates_dropped::BIGINT),
  rejection_rate     DOUBLE  AS (VALUE:rejection_rate::DOUBLE),       -- quarantined / records_in
  ingest_date        VARCHAR AS (PARSE_JSON(METADATA$EXTERNAL_TABLE_PARTITION):INGEST_DATE::VARCHAR)
)
PARTITION BY (ingest_date)
LOCATION = @streamlake_gold/daily_data_quality/
PARTITION_TYPE = USER_SPECIFIED
FILE_FORMAT = (FORMAT_NAME = 'streamlake_gold_parquet')
COMMENT = 'The transformer ledgers summed per arrival day (UTC).';

CREATE OR REPLACE EXTERNAL TABLE daily_quarantine_reasons (
  reason_code VARCHAR AS (VALUE:reason_code::VARCHAR),
  quarantined BIGINT  AS (VALUE:quarantined::BIGINT),
  ingest_date VARCHAR AS (PARSE_JSON(METADATA$EXTERNAL_TABLE_PARTITION):INGEST_DATE::VARCHAR)
)
PARTITION BY (ingest_date)
LOCATION = @streamlake_gold/daily_quarantine_reasons/
PARTITION_TYPE = USER_SPECIFIED
FILE_FORMAT = (FORMAT_NAME = 'streamlake_gold_parquet')
COMMENT = 'Quarantined rows per reason code and arrival day (UTC).';

-- Keeping the tables current: no Snowflake task can do it (the partitions come from the commit
-- states in S3), so sync_partitions.sh runs outside Snowflake, with AWS credentials, after each
-- scheduled gold refresh and more often than gc_grace_seconds (README.md). The first sync, right
-- after this file:
--   sql/snowflake/sync_partitions.sh <processed_bucket> > sync.sql
--   snowsql -c <connection> -o exit_on_error=true -f sync.sql
--   sql/snowflake/sync_partitions.sh --commit sync.sql

-- Checks, after the first sync. One row per gold day:
SELECT event_date, COUNT(*) AS title_rows, SUM(plays) AS plays
FROM daily_title_engagement
GROUP BY event_date
ORDER BY event_date DESC
LIMIT 7;

-- Every day reads one directory: no rows, except while a sync runs (ADD, then DROP).
SELECT event_date, COUNT(DISTINCT REGEXP_SUBSTR(METADATA$FILENAME, '.*/')) AS directories
FROM daily_event_types
GROUP BY event_date
HAVING COUNT(DISTINCT REGEXP_SUBSTR(METADATA$FILENAME, '.*/')) > 1;
