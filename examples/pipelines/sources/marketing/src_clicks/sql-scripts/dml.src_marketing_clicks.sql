INSERT INTO src_marketing_clicks
SELECT click_id, customer_id, campaign_ids, click_ts
FROM raw_clicks
WHERE customer_id IS DISTINCT FROM 'anonymous';
