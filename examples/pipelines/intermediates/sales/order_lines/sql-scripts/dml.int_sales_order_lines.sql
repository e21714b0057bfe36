INSERT INTO int_sales_order_lines
SELECT
  o.order_id,
  o.customer_id,
  p.product_name,
  p.category,
  o.quantity * o.unit_price AS amount,
  o.currency,
  o.order_ts
FROM src_sales_orders AS o
LEFT JOIN src_sales_products AS p ON o.product_id = p.product_id;
