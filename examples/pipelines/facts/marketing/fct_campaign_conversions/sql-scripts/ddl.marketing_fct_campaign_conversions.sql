CREATE TABLE IF NOT EXISTS marketing_fct_campaign_conversions (
  campaign_id STRING NOT NULL,
  order_id STRING NOT NULL,
  amount_usd DECIMAL(14, 2),
  click_ts TIMESTAMP_LTZ(3),
  order_ts TIMESTAMP_LTZ(3),
  PRIMARY KEY(campaign_id, order_id) NOT ENFORCED
) DISTRIBUTED BY HASH(campaign_id, order_id) INTO 1 BUCKETS
WITH (
  'changelog.mode' = 'append',
  'key.format' = 'avro-registry',
  'value.format' = 'avro-registry',
  'kafka.retention.time' = '0',
  'scan.startup.mode' = 'earliest-offset',
  'value.fields-include' = 'all'
);
