-- Playback quality per device from gold: rebuffer ratio (%) and error sessions per 1,000 sessions.
SELECT
  device_type,
  SUM(sessions) AS sessions,
  ROUND(SUM(playing_hours), 1) AS playing_hours,
  ROUND(100 * SUM(rebuffer_hours) / NULLIF(SUM(playing_hours), 0), 3) AS rebuffer_pct,
  ROUND(1000.0 * SUM(error_sessions) / NULLIF(SUM(sessions), 0), 2) AS error_sessions_per_1000
FROM daily_playback_quality
GROUP BY device_type
ORDER BY device_type
