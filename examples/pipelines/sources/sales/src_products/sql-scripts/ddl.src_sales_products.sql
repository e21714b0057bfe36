CREATE TABLE IF NOT EXISTS src_sales_products (
  product_id STRING NOT NULL,
  product_name STRING,
  category STRING,
  PRIMARY KEY(product_id) NOT ENFORCED
) DISTRIBUTED BY HASH(product_id) INTO 1 BUCKETS
WITH (
  'changelog.mode' = 'upsert',
  'key.format' = 'avro-registry',
  'value.format' = 'avro-registry',
  'kafka.retention.time' = '0',
  'scan.startup.mode' = 'earliest-offset',
  'value.fields-include' = 'all'
);
