CREATE TABLE IF NOT EXISTS int_marketing_campaign_clicks (
  click_id STRING NOT NULL,
  campaign_id STRING NOT NULL,
  customer_id STRING,
  click_ts TIMESTAMP_LTZ(3),
  WATERMARK FOR click_ts AS click_ts - INTERVAL '10' SECOND,
  PRIMARY KEY(click_id, campaign_id) NOT ENFORCED
) DISTRIBUTED BY HASH(click_id, campaign_id) INTO 1 BUCKETS
WITH (
  'changelog.mode' = 'append',
  'key.format' = 'avro-registry',
  'value.format' = 'avro-registry',
  'kafka.retention.time' = '0',
  'scan.startup.mode' = 'earliest-offset',
  'value.fields-include' = 'all'
);
