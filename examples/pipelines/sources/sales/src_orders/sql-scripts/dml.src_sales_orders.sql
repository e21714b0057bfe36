-- Orders from the shop, one row per order line, duplicates removed.
INSERT INTO src_sales_orders
SELECT order_id, customer_id, product_id, quantity, unit_price, currency, order_ts
FROM (
  SELECT *,
    ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY `$rowtime` DESC) AS row_num
  FROM raw_orders
  WHERE order_id IS NOT NULL
)
WHERE row_num = 1;
