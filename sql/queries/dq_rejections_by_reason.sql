-- Quarantined records per reason code: the data-quality view of bronze.
SELECT reason_code, COUNT(*) AS rejected
FROM quarantined_netflix_events
GROUP BY reason_code
ORDER BY rejected DESC, reason_code
