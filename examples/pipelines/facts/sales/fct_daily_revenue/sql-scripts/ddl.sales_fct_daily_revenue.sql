CREATE TABLE IF NOT EXISTS sales_fct_daily_revenue (
  window_start TIMESTAMP(3) NOT NULL,
  window_end TIMESTAMP(3),
  revenue_usd DECIMAL(18, 2),
  orders BIGINT,
  PRIMARY KEY(window_start) NOT ENFORCED
) DISTRIBUTED BY HASH(window_start) INTO 1 BUCKETS
WITH (
  'changelog.mode' = 'upsert',
  'key.format' = 'avro-registry',
  'value.format' = 'avro-registry',
  'kafka.retention.time' = '0',
  'scan.startup.mode' = 'earliest-offset',
  'value.fields-include' = 'all'
);
