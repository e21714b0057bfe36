CREATE TABLE IF NOT EXISTS src_marketing_clicks (
  click_id STRING NOT NULL,
  customer_id STRING,
  campaign_ids ARRAY<STRING>,
  click_ts TIMESTAMP_LTZ(3),
  WATERMARK FOR click_ts AS click_ts - INTERVAL '10' SECOND,
  PRIMARY KEY(click_id) NOT ENFORCED
) DISTRIBUTED BY HASH(click_id) INTO 1 BUCKETS
WITH (
  'changelog.mode' = 'append',
  'key.format' = 'avro-registry',
  'value.format' = 'avro-registry',
  'kafka.retention.time' = '0',
  'scan.startup.mode' = 'earliest-offset',
  'value.fields-include' = 'all'
);
