-- Hours viewed, plays and sessions (by the day their first event falls on) per country, device and day.
-- parameters: read_from, read_to, from_date, to_date
-- Watch time as in daily_title_engagement (docs/data_model.md).
-- A session's events are ordered by time, then event type (the CASE), then every other column
-- this query reads: rows that still tie are interchangeable for every aggregate, so the result
-- is deterministic without event_id, the widest column of silver (about 80% of the bytes the
-- query would otherwise scan). Compacted silver is stored in this order (then event_id).
WITH events AS (
  SELECT
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
intervals AS (
  SELECT
    country,
    device_type,
    event_type,
    event_date,
    seq,
    CASE
      WHEN next_ts IS NOT NULL
        AND event_type IN ('PLAY_START', 'RESUME', 'REBUFFER_END', 'SEEK', 'HEARTBEAT')
        THEN LEAST(next_ts - event_ts, 120)
      ELSE 0
    END AS playing_s
  FROM events
  WHERE event_date BETWEEN ? AND ?
)
SELECT
  country,
  device_type,
  SUM(CASE WHEN event_type = 'PLAY_START' THEN 1 ELSE 0 END) AS plays,
  SUM(CASE WHEN seq = 1 THEN 1 ELSE 0 END) AS sessions,
  CAST(SUM(playing_s) AS DOUBLE) / 3600 AS hours_viewed,
  event_date
FROM intervals
GROUP BY event_date, country, device_type
ORDER BY event_date, country, device_type
