-- Playback events per device class.
SELECT device_type, COUNT(*) AS events
FROM processed_netflix_events
GROUP BY device_type
ORDER BY events DESC, device_type
