CREATE TABLE IF NOT EXISTS sales_fct_customer_orders (
  customer_id STRING NOT NULL,
  country STRING,
  orders BIGINT,
  revenue_usd DECIMAL(18, 2),
  PRIMARY KEY(customer_id) NOT ENFORCED
) DISTRIBUTED BY HASH(customer_id) INTO 1 BUCKETS
WITH (
  'changelog.mode' = 'upsert',
  'key.format' = 'avro-registry',
  'value.format' = 'avro-registry',
  'kafka.retention.time' = '0',
  'scan.startup.mode' = 'earliest-offset',
  'value.fields-include' = 'all'
);
