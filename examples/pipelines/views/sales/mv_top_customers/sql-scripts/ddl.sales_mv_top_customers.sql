CREATE TABLE IF NOT EXISTS sales_mv_top_customers (
  country STRING NOT NULL,
  customer_id STRING NOT NULL,
  revenue_usd DECIMAL(18, 2),
  rank_in_country BIGINT,
  PRIMARY KEY(country, customer_id) NOT ENFORCED
) DISTRIBUTED BY HASH(country, customer_id) INTO 1 BUCKETS
WITH (
  'changelog.mode' = 'upsert',
  'key.format' = 'avro-registry',
  'value.format' = 'avro-registry',
  'kafka.retention.time' = '0',
  'scan.startup.mode' = 'earliest-offset',
  'value.fields-include' = 'all'
);
