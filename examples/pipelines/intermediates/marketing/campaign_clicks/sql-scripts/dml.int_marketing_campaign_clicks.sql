-- One row per (click, campaign): UNNEST keeps no state.
INSERT INTO int_marketing_campaign_clicks
SELECT c.click_id, campaign_id, c.customer_id, c.click_ts
FROM src_marketing_clicks AS c
CROSS JOIN UNNEST(c.campaign_ids) AS t (campaign_id);
