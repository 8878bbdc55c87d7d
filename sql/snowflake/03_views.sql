-- StreamLake gold in Snowflake, step 3: views for everyday questions.
-- "Last 7 days" = today and the six days before, in UTC (gold days are UTC dates; today is
-- partial until the day ends). Ratios and percentiles are recomputed from sums and from the
-- TTFH histogram: averaging daily ratios or percentiles would be wrong.
-- The views read what the last partition sync registered (README.md, "Keeping the tables
-- current"): a day refreshed since shows its previous version, and a query that runs while the
-- sync moves a day can count that day twice (or miss it, with --drop-first).

USE ROLE streamlake_gold_owner;
USE SCHEMA streamlake.gold;

-- Each windowed view compares the partition column with the window's first UTC day, as the
-- 'YYYY-MM-DD' string the column holds: a constant comparison keeps partition pruning (the
-- column is the value each partition was added with).
CREATE OR REPLACE VIEW top_titles_last_7_days AS
SELECT
  ROW_NUMBER() OVER (ORDER BY SUM(views) DESC, title_id) AS title_rank,
  title_id,
  title_name,
  SUM(views)        AS views,
  SUM(hours_viewed) AS hours_viewed,
  SUM(plays)        AS plays
  -- unique_profiles is deliberately absent: distinct counts do not add up across days.
FROM daily_title_engagement
WHERE event_date >= TO_VARCHAR(DATEADD(day, -6, CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())::DATE), 'YYYY-MM-DD')
GROUP BY title_id, title_name;

-- One row per day: the dashboard's headline numbers.
CREATE OR REPLACE VIEW daily_kpis AS
WITH engagement AS (
  SELECT event_date, SUM(plays) AS plays, SUM(sessions) AS sessions, SUM(hours_viewed) AS hours_viewed
  FROM daily_engagement_by_country_device
  GROUP BY event_date
), views AS (
  SELECT event_date, SUM(views) AS views
  FROM daily_title_engagement
  GROUP BY event_date
), events AS (
  SELECT event_date, SUM(events) AS events
  FROM daily_event_types
  GROUP BY event_date
)
SELECT e.event_date, ev.events, e.plays, e.sessions, e.hours_viewed, v.views
FROM engagement e
LEFT JOIN views v  ON v.event_date = e.event_date
LEFT JOIN events ev ON ev.event_date = e.event_date;

-- Playback quality per device over the last 7 days, with exact nearest-rank TTFH percentiles
-- (rank ceil(n/2) and ceil(0.95 n), as docs/data_model.md defines them).
CREATE OR REPLACE VIEW playback_quality_by_device_last_7_days AS
WITH quality AS (
  SELECT
    device_type,
    SUM(sessions)       AS sessions,
    SUM(playing_hours)  AS playing_hours,
    SUM(rebuffer_hours) AS rebuffer_hours,
    SUM(error_sessions) AS error_sessions
  FROM daily_playback_quality
  WHERE event_date >= TO_VARCHAR(DATEADD(day, -6, CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())::DATE), 'YYYY-MM-DD')
  GROUP BY device_type
), histogram AS (
  SELECT device_type, ttfh_s, SUM(sessions) AS sessions
  FROM daily_ttfh_distribution
  WHERE event_date >= TO_VARCHAR(DATEADD(day, -6, CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())::DATE), 'YYYY-MM-DD')
  GROUP BY device_type, ttfh_s
), cumulative AS (
  SELECT
    device_type,
    ttfh_s,
    SUM(sessions) OVER (PARTITION BY device_type ORDER BY ttfh_s ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
    SUM(sessions) OVER (PARTITION BY device_type) AS n
  FROM histogram
), percentiles AS (
  SELECT
    device_type,
    MIN(IFF(cum >= CEIL(n / 2), ttfh_s, NULL))    AS ttfh_median_s,
    MIN(IFF(cum >= CEIL(0.95 * n), ttfh_s, NULL)) AS ttfh_p95_s
  FROM cumulative
  GROUP BY device_type
)
SELECT
  q.device_type,
  q.sessions,
  q.playing_hours,
  q.rebuffer_hours,
  q.rebuffer_hours / NULLIF(q.playing_hours, 0)     AS rebuffer_ratio,
  q.error_sessions,
  1000 * q.error_sessions / NULLIF(q.sessions, 0)   AS error_sessions_per_1000,
  p.ttfh_median_s,
  p.ttfh_p95_s
FROM quality q
LEFT JOIN percentiles p ON p.device_type = q.device_type;

-- Pipeline health per arrival day, and what was rejected over the last 7 days.
CREATE OR REPLACE VIEW data_quality_last_7_days AS
SELECT ingest_date, raw_objects, records_in, written, quarantined, duplicates_dropped, rejection_rate
FROM daily_data_quality
WHERE ingest_date >= TO_VARCHAR(DATEADD(day, -6, CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())::DATE), 'YYYY-MM-DD');

CREATE OR REPLACE VIEW quarantine_reasons_last_7_days AS
SELECT reason_code, SUM(quarantined) AS quarantined
FROM daily_quarantine_reasons
WHERE ingest_date >= TO_VARCHAR(DATEADD(day, -6, CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())::DATE), 'YYYY-MM-DD')
GROUP BY reason_code;

-- Example reads.
SELECT * FROM top_titles_last_7_days WHERE title_rank <= 10 ORDER BY title_rank;
SELECT * FROM playback_quality_by_device_last_7_days ORDER BY sessions DESC;
