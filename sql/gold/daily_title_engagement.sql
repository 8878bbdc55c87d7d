-- Plays, hours viewed, views (hours viewed / runtime hours) and distinct profiles per title and day.
-- parameters: read_from, read_to, from_date, to_date
-- Watch time (docs/data_model.md): each event opens the interval up to the next event of its
-- session; PLAY_START, RESUME, REBUFFER_END, SEEK and HEARTBEAT open playing time (at most
-- 120 s per interval), counted on the UTC day of the opening event. Silver is read one day
-- either side of the refreshed days so that sessions crossing midnight are complete.
-- A session's events are ordered by time, then event type (the CASE), then every other column
-- this query reads: rows that still tie are interchangeable for every aggregate, so the result
-- is deterministic without event_id, the widest column of silver (about 80% of the bytes the
-- query would otherwise scan). Compacted silver is stored in this order (then event_id).
WITH events AS (
  SELECT
    profile_id,
    title_id,
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
    ) AS next_ts
  FROM processed_netflix_events
  WHERE event_date BETWEEN ? AND ?
),
intervals AS (
  SELECT
    profile_id,
    title_id,
    event_type,
    event_date,
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
  i.title_id,
  t.title_name,
  SUM(CASE WHEN i.event_type = 'PLAY_START' THEN 1 ELSE 0 END) AS plays,
  CAST(SUM(i.playing_s) AS DOUBLE) / 3600 AS hours_viewed,
  CAST(SUM(i.playing_s) AS DOUBLE) / (60 * t.runtime_minutes) AS views,
  COUNT(DISTINCT i.profile_id) AS unique_profiles,
  i.event_date
FROM intervals i
LEFT JOIN netflix_titles t ON i.title_id = t.title_id
GROUP BY i.event_date, i.title_id, t.title_name, t.runtime_minutes
ORDER BY i.event_date, i.title_id
