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
-- No file-name pattern: the external tables read whole committed directories (one per day, see
-- 02_external_tables.sql), and StreamLake does not rely on the names Athena's UNLOAD gives its
-- files.
CREATE OR REPLACE FILE FORMAT streamlake_gold_parquet
  TYPE = PARQUET
  COMPRESSION = AUTO
  COMMENT = 'StreamLake gold: Snappy Parquet written by the gold refresh (Athena UNLOAD)';

-- Under the stage: <table>/unload/<run>/<event_date|ingest_date>=YYYY-MM-DD/<files>, one
-- directory per refresh run and day, of which only the committed one counts; and
-- commits/<table>/<col>=YYYY-MM-DD.json, which names it (read by sync_partitions.sh with AWS
-- credentials, not through this stage).
CREATE OR REPLACE STAGE streamlake_gold
  URL = 's3://<processed_bucket>/gold/netflix/'
  STORAGE_INTEGRATION = streamlake_gold_s3
  FILE_FORMAT = streamlake_gold_parquet
  COMMENT = 'StreamLake gold tables: <table>/unload/<run>/<event_date|ingest_date>=YYYY-MM-DD/, the committed directory per day named by commits/<table>/';

-- Smoke tests: the integration, the role and the KMS grant all work if these return rows.
-- They list every refresh run's files, superseded ones included: do not count rows from the
-- stage, query the external tables.
LIST @streamlake_gold/daily_event_types/unload/;
SELECT METADATA$FILENAME, $1 FROM @streamlake_gold/daily_event_types/unload/ LIMIT 5;
