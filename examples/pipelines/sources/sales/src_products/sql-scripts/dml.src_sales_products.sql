/* The product catalog topic is produced by the catalog team's own pipeline,
   so it is not declared in seeds/external_tables.json: shiftleft lists it as
   an external_kafka parent anyway. */
INSERT INTO src_sales_products
SELECT product_id, product_name, category
FROM catalog_products;
