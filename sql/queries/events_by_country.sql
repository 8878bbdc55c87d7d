-- Playback events per viewer country (ISO 3166-1 alpha-2).
SELECT country, COUNT(*) AS events
FROM processed_netflix_events
GROUP BY country
ORDER BY events DESC, country
