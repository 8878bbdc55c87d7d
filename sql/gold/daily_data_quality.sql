-- The ledgers summed per arrival day: raw objects, records in, written, quarantined, duplicates dropped and the rejection rate.
-- parameters: from_date, to_date
-- ingest_date is the UTC date of the raw object's arrival (the ledger's ingest_timestamp, the
-- same date the quarantine partition carries). rejection_rate = quarantined / records_in.
SELECT
  raw_objects,
  records_in,
  written,
  quarantined,
  duplicates_dropped,
  CAST(quarantined AS DOUBLE) / NULLIF(records_in, 0) AS rejection_rate,
  ingest_date
FROM (
  SELECT
    substr(ingest_timestamp, 1, 10) AS ingest_date,
    COUNT(*) AS raw_objects,
    SUM(records_in) AS records_in,
    SUM(written) AS written,
    SUM(quarantined) AS quarantined,
    SUM(duplicates_dropped) AS duplicates_dropped
  FROM pipeline_ledgers
  GROUP BY substr(ingest_timestamp, 1, 10)
) per_day
WHERE ingest_date BETWEEN ? AND ?
ORDER BY ingest_date
