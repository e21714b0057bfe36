-- An order within one hour of a campaign click is a conversion (interval join).
INSERT INTO marketing_fct_campaign_conversions
SELECT k.campaign_id, o.order_id, o.amount_usd, k.click_ts, o.order_ts
FROM int_marketing_campaign_clicks AS k, int_sales_orders_usd AS o
WHERE k.customer_id = o.customer_id
  AND o.order_ts BETWEEN k.click_ts AND k.click_ts + INTERVAL '1' HOUR;
