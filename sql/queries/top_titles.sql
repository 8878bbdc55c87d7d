-- The ten most played titles: PLAY_START events joined to the title dimension.
SELECT
  t.title_id,
  t.title_name,
  t.genre,
  t.content_type,
  COUNT(*) AS plays
FROM processed_netflix_events e
JOIN netflix_titles t ON e.title_id = t.title_id
WHERE e.event_type = 'PLAY_START'
GROUP BY t.title_id, t.title_name, t.genre, t.content_type
ORDER BY plays DESC, t.title_id
LIMIT 10
