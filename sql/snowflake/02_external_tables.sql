-- StreamLake gold in Snowflake, step 2: one external table per gold table.
-- Columns and order follow the gold tables (docs/data_model.md, crates/event-model/src/schema.rs, sql/ddl/*.sql):
-- string -> VARCHAR, bigint -> BIGINT, double -> DOUBLE. The partition column (event_date or
-- ingest_date) stays a 'YYYY-MM-DD' VARCHAR, as in Glue, and is parsed from the file path:
--   <table>/event_date=2026-11-29/<file>
--
-- Refresh: the gold refresh replaces a table-day by deleting its folder and writing new files,
-- so the external tables' file lists must be refreshed after it. AUTO_REFRESH is off here and a
-- task at the end of this file refreshes them; README.md explains the AUTO_REFRESH alternative.

USE ROLE streamlake_gold_owner;
USE SCHEMA streamlake.gold;

CREATE OR REPLACE EXTERNAL TABLE daily_title_engagement (
  title_id        VARCHAR AS (VALUE:title_id::VARCHAR),
  title_name      VARCHAR AS (VALUE:title_name::VARCHAR),
  plays           BIGINT  AS (VALUE:plays::BIGINT),
  hours_viewed    DOUBLE  AS (VALUE:hours_viewed::DOUBLE),
  views           DOUBLE  AS (VALUE:views::DOUBLE),
  unique_profiles BIGINT  AS (VALUE:unique_profiles::BIGINT),
  event_date      VARCHAR AS (SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'event_date=', 2), '/', 1))
)
PARTITION BY (event_date)
LOCATION = @streamlake_gold/daily_title_engagement/
FILE_FORMAT = (FORMAT_NAME = 'streamlake_gold_parquet')
AUTO_REFRESH = FALSE
REFRESH_ON_CREATE = TRUE
COMMENT = 'Plays, hours viewed, views (hours viewed / runtime hours) and distinct profiles per title and day. unique_profiles is not additive across days.';

CREATE OR REPLACE EXTERNAL TABLE daily_engagement_by_country_device (
  country      VARCHAR AS (VALUE:country::VARCHAR),
  device_type  VARCHAR AS (VALUE:device_type::VARCHAR),
  plays        BIGINT  AS (VALUE:plays::BIGINT),
  sessions     BIGINT  AS (VALUE:sessions::BIGINT),
  hours_viewed DOUBLE  AS (VALUE:hours_viewed::DOUBLE),
  event_date   VARCHAR AS (SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'event_date=', 2), '/', 1))
)
PARTITION BY (event_date)
LOCATION = @streamlake_gold/daily_engagement_by_country_device/
FILE_FORMAT = (FORMAT_NAME = 'streamlake_gold_parquet')
AUTO_REFRESH = FALSE
REFRESH_ON_CREATE = TRUE
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
  event_date              VARCHAR AS (SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'event_date=', 2), '/', 1))
)
PARTITION BY (event_date)
LOCATION = @streamlake_gold/daily_playback_quality/
FILE_FORMAT = (FORMAT_NAME = 'streamlake_gold_parquet')
AUTO_REFRESH = FALSE
REFRESH_ON_CREATE = TRUE
COMMENT = 'Rebuffer ratio, error sessions per 1,000 and exact TTFH median/p95 per country, device and day. Ratios and percentiles are not additive: recompute from sums and from daily_ttfh_distribution.';

CREATE OR REPLACE EXTERNAL TABLE daily_ttfh_distribution (
  country     VARCHAR AS (VALUE:country::VARCHAR),
  device_type VARCHAR AS (VALUE:device_type::VARCHAR),
  ttfh_s      BIGINT  AS (VALUE:ttfh_s::BIGINT),
  sessions    BIGINT  AS (VALUE:sessions::BIGINT),
  event_date  VARCHAR AS (SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'event_date=', 2), '/', 1))
)
PARTITION BY (event_date)
LOCATION = @streamlake_gold/daily_ttfh_distribution/
FILE_FORMAT = (FORMAT_NAME = 'streamlake_gold_parquet')
AUTO_REFRESH = FALSE
REFRESH_ON_CREATE = TRUE
COMMENT = 'Exact histogram of time to first heartbeat (sessions per whole second): exact percentiles over any range.';

CREATE OR REPLACE EXTERNAL TABLE daily_event_types (
  event_type VARCHAR AS (VALUE:event_type::VARCHAR),
  events     BIGINT  AS (VALUE:events::BIGINT),
  event_date VARCHAR AS (SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'event_date=', 2), '/', 1))
)
PARTITION BY (event_date)
LOCATION = @streamlake_gold/daily_event_types/
FILE_FORMAT = (FORMAT_NAME = 'streamlake_gold_parquet')
AUTO_REFRESH = FALSE
REFRESH_ON_CREATE = TRUE
COMMENT = 'Silver rows per event type and day.';

CREATE OR REPLACE EXTERNAL TABLE daily_data_quality (
  raw_objects        BIGINT  AS (VALUE:raw_objects::BIGINT),
  records_in         BIGINT  AS (VALUE:records_in::BIGINT),
  written            BIGINT  AS (VALUE:written::BIGINT),
  quarantined        BIGINT  AS (VALUE:quarantined::BIGINT),
  duplicates_dropped BIGINT  AS (VALUE:duplicates_dropped::BIGINT),
  rejection_rate     DOUBLE  AS (VALUE:rejection_rate::DOUBLE),       -- quarantined / records_in
  ingest_date        VARCHAR AS (SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'ingest_date=', 2), '/', 1))
)
PARTITION BY (ingest_date)
LOCATION = @streamlake_gold/daily_data_quality/
FILE_FORMAT = (FORMAT_NAME = 'streamlake_gold_parquet')
AUTO_REFRESH = FALSE
REFRESH_ON_CREATE = TRUE
COMMENT = 'The transformer ledgers summed per arrival day (UTC).';

CREATE OR REPLACE EXTERNAL TABLE daily_quarantine_reasons (
  reason_code VARCHAR AS (VALUE:reason_code::VARCHAR),
  quarantined BIGINT  AS (VALUE:quarantined::BIGINT),
  ingest_date VARCHAR AS (SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'ingest_date=', 2), '/', 1))
)
PARTITION BY (ingest_date)
LOCATION = @streamlake_gold/daily_quarantine_reasons/
FILE_FORMAT = (FORMAT_NAME = 'streamlake_gold_parquet')
AUTO_REFRESH = FALSE
REFRESH_ON_CREATE = TRUE
COMMENT = 'Quarantined rows per reason code and arrival day (UTC).';

-- Keep the file lists current. The AWS gold refresh runs hourly (EventBridge rate(1 hour), not
-- at a fixed minute), so refresh more often than that. Replace <warehouse>.
CREATE OR REPLACE TASK refresh_streamlake_gold
  WAREHOUSE = <warehouse>
  SCHEDULE = 'USING CRON */15 * * * * UTC'
  COMMENT = 'Re-list gold files after the StreamLake gold refresh replaced table-days'
AS
BEGIN
  ALTER EXTERNAL TABLE daily_title_engagement REFRESH;
  ALTER EXTERNAL TABLE daily_engagement_by_country_device REFRESH;
  ALTER EXTERNAL TABLE daily_playback_quality REFRESH;
  ALTER EXTERNAL TABLE daily_ttfh_distribution REFRESH;
  ALTER EXTERNAL TABLE daily_event_types REFRESH;
  ALTER EXTERNAL TABLE daily_data_quality REFRESH;
  ALTER EXTERNAL TABLE daily_quarantine_reasons REFRESH;
END;

-- Tasks are created suspended (resuming needs EXECUTE TASK, granted in 00_storage_integration.sql).
ALTER TASK refresh_streamlake_gold RESUME;

-- Check: one row per gold day.
SELECT event_date, COUNT(*) AS title_rows, SUM(plays) AS plays
FROM daily_title_engagement
GROUP BY event_date
ORDER BY event_date DESC
LIMIT 7;
