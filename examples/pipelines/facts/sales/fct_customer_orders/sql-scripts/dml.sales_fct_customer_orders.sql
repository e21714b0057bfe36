INSERT INTO sales_fct_customer_orders
SELECT d.customer_id, d.country, COUNT(o.order_id) AS orders, SUM(o.amount_usd) AS revenue_usd
FROM int_sales_orders_usd AS o
INNER JOIN sales_dim_customer AS d ON o.customer_id = d.customer_id
GROUP BY d.customer_id, d.country;
