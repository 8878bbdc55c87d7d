-- Quarantined rows per reason code and arrival day.
-- parameters: from_date, to_date
SELECT
  reason_code,
  COUNT(*) AS quarantined,
  ingest_date
FROM quarantined_netflix_events
WHERE ingest_date BETWEEN ? AND ?
GROUP BY ingest_date, reason_code
ORDER BY ingest_date, reason_code
