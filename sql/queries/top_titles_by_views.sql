-- The ten most watched titles by views (hours viewed / runtime hours, Netflix's ranking), from gold.
SELECT
  title_id,
  title_name,
  ROUND(total_views, 3) AS views,
  ROUND(total_hours, 2) AS hours_viewed,
  plays
FROM (
  SELECT
    title_id,
    title_name,
    SUM(views) AS total_views,
    SUM(hours_viewed) AS total_hours,
    SUM(plays) AS plays
  FROM daily_title_engagement
  GROUP BY title_id, title_name
) per_title
ORDER BY total_views DESC, title_id
LIMIT 10
