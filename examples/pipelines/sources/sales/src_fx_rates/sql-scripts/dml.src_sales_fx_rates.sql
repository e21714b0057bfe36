INSERT INTO src_sales_fx_rates
SELECT currency, rate_to_usd, valid_from FROM raw_fx_rates;
