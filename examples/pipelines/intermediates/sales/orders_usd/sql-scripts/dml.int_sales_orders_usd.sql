-- Convert every order at the rate valid when it was placed (temporal join).
INSERT INTO int_sales_orders_usd
SELECT
  o.order_id,
  o.customer_id,
  CAST(o.quantity * o.unit_price * r.rate_to_usd AS DECIMAL(14, 2)) AS amount_usd,
  o.order_ts
FROM src_sales_orders AS o
JOIN src_sales_fx_rates FOR SYSTEM_TIME AS OF o.order_ts AS r
  ON o.currency = r.currency;
