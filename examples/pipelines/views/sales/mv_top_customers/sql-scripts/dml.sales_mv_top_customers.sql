-- Top 10 customers per country by revenue (top-N keeps state).
INSERT INTO sales_mv_top_customers
SELECT country, customer_id, revenue_usd, rank_in_country
FROM (
  SELECT *,
    ROW_NUMBER() OVER (PARTITION BY country ORDER BY revenue_usd DESC) AS rank_in_country
  FROM sales_fct_customer_orders
)
WHERE rank_in_country <= 10;
