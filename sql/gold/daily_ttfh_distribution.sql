-- Sessions per whole second of time to first heartbeat, per country, device and day: exact percentiles over any range.
-- parameters: read_from, read_to, from_date, to_date
-- A session belongs to the day, country and device of its first event; its time to first
-- heartbeat is its first HEARTBEAT's event_ts minus its first event's (docs/data_model.md).
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
sessions AS (
  SELECT
    MAX(CASE WHEN seq = 1 THEN event_date END) AS session_date,
    MAX(CASE WHEN seq = 1 THEN country END) AS country,
    MAX(CASE WHEN seq = 1 THEN device_type END) AS device_type,
    MIN(CASE WHEN event_type = 'HEARTBEAT' THEN event_ts END)
      - MIN(CASE WHEN seq = 1 THEN event_ts END) AS ttfh_s
  FROM events
  GROUP BY session_id
)
SELECT
  country,
  device_type,
  ttfh_s,
  COUNT(*) AS sessions,
  session_date AS event_date
FROM sessions
WHERE ttfh_s IS NOT NULL AND session_date BETWEEN ? AND ?
GROUP BY session_date, country, device_type, ttfh_s
ORDER BY session_date, country, device_type, ttfh_s
