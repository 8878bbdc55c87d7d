-- Rows in silver per event date (UTC date of event_ts).
SELECT event_date, COUNT(*) AS row_count
FROM processed_netflix_events
GROUP BY event_date
ORDER BY event_date
