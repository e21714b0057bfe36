CREATE TABLE IF NOT EXISTS int_sales_order_lines (
  order_id STRING NOT NULL,
  customer_id STRING,
  product_name STRING,
  category STRING,
  amount DECIMAL(12, 2),
  currency STRING,
  order_ts TIMESTAMP_LTZ(3),
  PRIMARY KEY(order_id) NOT ENFORCED
) DISTRIBUTED BY HASH(order_id) INTO 1 BUCKETS
WITH (
  'changelog.mode' = 'upsert',
  'key.format' = 'avro-registry',
  'value.format' = 'avro-registry',
  'kafka.retention.time' = '0',
  'scan.startup.mode' = 'earliest-offset',
  'value.fields-include' = 'all'
);
