INSERT INTO sales_fct_daily_revenue
SELECT window_start, window_end, SUM(amount_usd) AS revenue_usd, COUNT(*) AS orders
FROM TABLE(
  TUMBLE(TABLE int_sales_orders_usd, DESCRIPTOR(order_ts), INTERVAL '1' DAY)
)
GROUP BY window_start, window_end;
