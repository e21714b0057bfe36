INSERT INTO sales_dim_customer
WITH first_orders AS (
  SELECT customer_id, MIN(order_ts) AS first_order_ts
  FROM src_sales_orders
  GROUP BY customer_id
)
SELECT
  c.customer_id,
  c.full_name,
  SUBSTRING(c.email FROM POSITION('@' IN c.email) + 1) AS email_domain,
  c.country,
  f.first_order_ts
FROM src_sales_customers AS c
LEFT JOIN first_orders AS f ON c.customer_id = f.customer_id;
