-- Rebuffer ratio, error sessions per 1,000 sessions and time to first heartbeat (exact median, p95) per country, device and day.
-- parameters: read_from, read_to, from_date, to_date
-- docs/data_model.md: playing and rebuffering time by the day of the interval's opening event
-- (REBUFFER_START opens rebuffering time, at most 600 s); sessions, errors and time to first
-- heartbeat by the day, country and device of the session's first event. Percentiles are
-- nearest-rank: ranks (n + 1) / 2 and (95 n + 99) / 100 in integer arithmetic.
-- A session's events are ordered by time, then event type (the CASE), then every other column
-- this query reads: rows that still tie are interchangeable for every aggregate, so the result
-- is deterministic without event_id, the widest column of silver (about 80% of the bytes the
-- query would otherwise scan). Compacted silver is stored in this order (then event_id).
WITH events AS (
  SELECT
    session_id,
    country,
    device_type,
    event_type,
    event_ts,
    event_date,
    LEAD(event_ts) OVER (
      PARTITION BY session_id
      ORDER BY
        event_ts,
        CASE event_type
          WHEN 'PLAY_START' THEN 0
          WHEN 'PAUSE' THEN 2
          WHEN 'REBUFFER_START' THEN 2
          WHEN 'PLAY_STOP' THEN 3
          WHEN 'PLAYBACK_ERROR' THEN 3
          ELSE 1
        END,
        event_type,
        title_id,
        profile_id,
        country,
        device_type
    ) AS next_ts,
    ROW_NUMBER() OVER (
      PARTITION BY session_id
      ORDER BY
        event_ts,
        CASE event_type
          WHEN 'PLAY_START' THEN 0
          WHEN 'PAUSE' THEN 2
          WHEN 'REBUFFER_START' THEN 2
          WHEN 'PLAY_STOP' THEN 3
          WHEN 'PLAYBACK_ERROR' THEN 3
          ELSE 1
        END,
        event_type,
        title_id,
        profile_id,
        country,
        device_type
    ) AS seq
  FROM processed_netflix_events
  WHERE event_date BETWEEN ? AND ?
),
time_by_group AS (
  SELECT
    event_date,
    country,
    device_type,
    SUM(
      CASE
        WHEN next_ts IS NOT NULL
          AND event_type IN ('PLAY_START', 'RESUME', 'REBUFFER_END', 'SEEK', 'HEARTBEAT')
          THEN LEAST(next_ts - event_ts, 120)
        ELSE 0
      END
    ) AS playing_s,
    SUM(
      CASE
        WHEN next_ts IS NOT NULL AND event_type = 'REBUFFER_START'
          THEN LEAST(next_ts - event_ts, 600)
        ELSE 0
      END
    ) AS rebuffer_s
  FROM events
  WHERE event_date BETWEEN ? AND ?
  GROUP BY event_date, country, device_type
),
sessions AS (
  SELECT
    session_id,
    MAX(CASE WHEN seq = 1 THEN event_date END) AS session_date,
    MAX(CASE WHEN seq = 1 THEN country END) AS country,
    MAX(CASE WHEN seq = 1 THEN device_type END) AS device_type,
    MAX(CASE WHEN event_type = 'PLAYBACK_ERROR' THEN 1 ELSE 0 END) AS had_error,
    MIN(CASE WHEN event_type = 'HEARTBEAT' THEN event_ts END)
      - MIN(CASE WHEN seq = 1 THEN event_ts END) AS ttfh_s
  FROM events
  GROUP BY session_id
),
session_stats AS (
  SELECT
    session_date,
    country,
    device_type,
    COUNT(*) AS sessions,
    SUM(had_error) AS error_sessions
  FROM sessions
  GROUP BY session_date, country, device_type
),
ttfh_ranked AS (
  SELECT
    session_date,
    country,
    device_type,
    ttfh_s,
    ROW_NUMBER() OVER (PARTITION BY session_date, country, device_type ORDER BY ttfh_s) AS r,
    COUNT(*) OVER (PARTITION BY session_date, country, device_type) AS n
  FROM sessions
  WHERE ttfh_s IS NOT NULL
),
ttfh AS (
  SELECT
    session_date,
    country,
    device_type,
    MIN(CASE WHEN r = (n + 1) / 2 THEN ttfh_s END) AS ttfh_median_s,
    MIN(CASE WHEN r = (95 * n + 99) / 100 THEN ttfh_s END) AS ttfh_p95_s
  FROM ttfh_ranked
  GROUP BY session_date, country, device_type
)
SELECT
  g.country,
  g.device_type,
  COALESCE(s.sessions, 0) AS sessions,
  CAST(g.playing_s AS DOUBLE) / 3600 AS playing_hours,
  CAST(g.rebuffer_s AS DOUBLE) / 3600 AS rebuffer_hours,
  CAST(g.rebuffer_s AS DOUBLE) / NULLIF(g.playing_s, 0) AS rebuffer_ratio,
  COALESCE(s.error_sessions, 0) AS error_sessions,
  CAST(1000 * s.error_sessions AS DOUBLE) / NULLIF(s.sessions, 0) AS error_sessions_per_1000,
  q.ttfh_median_s,
  q.ttfh_p95_s,
  g.event_date
FROM time_by_group g
LEFT JOIN session_stats s
  ON s.session_date = g.event_date AND s.country = g.country AND s.device_type = g.device_type
LEFT JOIN ttfh q
  ON q.session_date = g.event_date AND q.country = g.country AND q.device_type = g.device_type
ORDER BY g.event_date, g.country, g.device_type
