CREATE TABLE IF NOT EXISTS sales_dim_customer (
  customer_id STRING NOT NULL,
  full_name STRING,
  email_domain STRING,
  country STRING,
  first_order_ts TIMESTAMP_LTZ(3),
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
