CREATE TABLE IF NOT EXISTS src_sales_fx_rates (
  currency STRING NOT NULL,
  rate_to_usd DECIMAL(18, 8),
  valid_from TIMESTAMP_LTZ(3),
  WATERMARK FOR valid_from AS valid_from,
  PRIMARY KEY(currency) NOT ENFORCED
) DISTRIBUTED BY HASH(currency) INTO 1 BUCKETS
WITH (
  'changelog.mode' = 'upsert',
  'key.format' = 'avro-registry',
  'value.format' = 'avro-registry',
  'kafka.retention.time' = '0',
  'scan.startup.mode' = 'earliest-offset',
  'value.fields-include' = 'all'
);
