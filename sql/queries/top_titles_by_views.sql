-- The ten most watched titles by views (hours viewed / runtime hours, Netflix's ranking), from gold.
SELECT
  title_id,
  title_name,
  ROUND(SUM(views), 3) AS views,
  ROUND(SUM(hours_viewed), 2) AS hours_viewed,
  SUM(plays) AS plays
FROM daily_title_engagement
GROUP BY title_id, title_name
ORDER BY SUM(views) DESC, title_id
LIMIT 10
