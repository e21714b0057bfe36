INSERT INTO src_sales_customers
SELECT
  customer_id,
  TRIM(BOTH ' ' FROM full_name) AS full_name,
  LOWER(email) AS email,   -- emails compare case-insensitively
  country,
  updated_at
FROM raw_customers
WHERE customer_id IS NOT NULL;
