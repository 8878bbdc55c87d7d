-- StreamLake gold in Snowflake, step 0: a storage integration for the gold prefix.
-- Run as ACCOUNTADMIN (or a role with CREATE INTEGRATION). Replace the placeholders:
--   <account_id>        the AWS account of the StreamLake stack
--   <processed_bucket>  terraform -chdir=infra output -raw processed_bucket
--   <your_user>, <warehouse>  your Snowflake user and the warehouse for the refresh task
-- The IAM role streamlake-snowflake-gold-reader is created by you, outside Terraform
-- (see README.md in this folder for its permissions and trust policy).

USE ROLE ACCOUNTADMIN;

CREATE STORAGE INTEGRATION IF NOT EXISTS streamlake_gold_s3
  TYPE = EXTERNAL_STAGE
  STORAGE_PROVIDER = 'S3'
  ENABLED = TRUE
  STORAGE_AWS_ROLE_ARN = 'arn:aws:iam::<account_id>:role/streamlake-snowflake-gold-reader'
  -- Gold only. Silver holds no PII but is large and unaggregated; bronze and quarantine
  -- (raw bucket) hold PII and must never be allowed here.
  STORAGE_ALLOWED_LOCATIONS = ('s3://<processed_bucket>/gold/netflix/')
  COMMENT = 'StreamLake gold tables (read-only), s3://<processed_bucket>/gold/netflix/';

-- STORAGE_AWS_IAM_USER_ARN and STORAGE_AWS_EXTERNAL_ID go into the role's trust policy:
--   Principal.AWS = STORAGE_AWS_IAM_USER_ARN, Condition sts:ExternalId = STORAGE_AWS_EXTERNAL_ID.
-- Then: aws iam update-assume-role-policy --role-name streamlake-snowflake-gold-reader \
--         --policy-document file://trust.json
DESC INTEGRATION streamlake_gold_s3;

-- The role that owns the stage and the external tables (adjust to your role model).
CREATE ROLE IF NOT EXISTS streamlake_gold_owner;
GRANT USAGE ON INTEGRATION streamlake_gold_s3 TO ROLE streamlake_gold_owner;
GRANT ROLE streamlake_gold_owner TO ROLE SYSADMIN;
GRANT ROLE streamlake_gold_owner TO USER <your_user>;
-- For the partition statements of sync_partitions.sh and for queries:
GRANT USAGE ON WAREHOUSE <warehouse> TO ROLE streamlake_gold_owner;
