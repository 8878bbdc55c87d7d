-- Silver rows per event type and day.
-- parameters: from_date, to_date
SELECT
  event_type,
  COUNT(*) AS events,
  event_date
FROM processed_netflix_events
WHERE event_date BETWEEN ? AND ?
GROUP BY event_date, event_type
ORDER BY event_date, event_type
