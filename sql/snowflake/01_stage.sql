-- StreamLake gold in Snowflake, step 1: database, schema, Parquet file format and the
-- external stage over s3://<processed_bucket>/gold/netflix/.
-- Needs 00_storage_integration.sql and the IAM role's trust policy updated from DESC INTEGRATION.

USE ROLE ACCOUNTADMIN;
CREATE DATABASE IF NOT EXISTS streamlake;
CREATE SCHEMA IF NOT EXISTS streamlake.gold;
GRANT USAGE ON DATABASE streamlake TO ROLE streamlake_gold_owner;
GRANT ALL ON SCHEMA streamlake.gold TO ROLE streamlake_gold_owner;

USE ROLE streamlake_gold_owner;
USE SCHEMA streamlake.gold;

-- Gold files are Snappy-compressed Parquet; COMPRESSION = AUTO detects the codec.
-- No file-name pattern: Athena's INSERT INTO writes data files without a .parquet suffix.
CREATE OR REPLACE FILE FORMAT streamlake_gold_parquet
  TYPE = PARQUET
  COMPRESSION = AUTO
  COMMENT = 'StreamLake gold: Snappy Parquet written by the gold refresh';

CREATE OR REPLACE STAGE streamlake_gold
  URL = 's3://<processed_bucket>/gold/netflix/'
  STORAGE_INTEGRATION = streamlake_gold_s3
  FILE_FORMAT = streamlake_gold_parquet
  COMMENT = 'StreamLake gold tables, one folder per table: <table>/<event_date|ingest_date>=YYYY-MM-DD/';

-- Smoke tests: the integration, the role and the KMS grant all work if these return rows.
LIST @streamlake_gold/daily_event_types/;
SELECT METADATA$FILENAME, $1 FROM @streamlake_gold/daily_event_types/ LIMIT 5;
