# Buckets: encrypted, private, TLS-only, versioned where replay needs it, access-logged, and
# with the lifecycle rules the issue asks for.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  lambda_zips = {
    generator      = "tests/fixtures/bootstrap.zip"
    transformer    = "tests/fixtures/bootstrap.zip"
    registrar      = "tests/fixtures/bootstrap.zip"
    "query-runner" = "tests/fixtures/bootstrap.zip"
  }
}

run "buckets_are_private_encrypted_and_tls_only" {
  command = plan

  assert {
    condition = (
      aws_s3_bucket.raw.bucket == "streamlake-raw-123456789012-us-east-1"
      && aws_s3_bucket.processed.bucket == "streamlake-processed-123456789012-us-east-1"
      && aws_s3_bucket.athena.bucket == "streamlake-athena-results-123456789012-us-east-1"
      && aws_s3_bucket.logs.bucket == "streamlake-access-logs-123456789012-us-east-1"
    )
    error_message = "Bucket names must be <prefix>-<zone>-<account>-<region>."
  }

  assert {
    condition     = length(aws_s3_bucket_public_access_block.this) == 4
    error_message = "Every bucket needs a public access block."
  }

  assert {
    condition = alltrue([for b in aws_s3_bucket_public_access_block.this :
      b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets
    ])
    error_message = "Block Public Access must be fully on for every bucket."
  }

  assert {
    condition     = length(aws_s3_bucket_ownership_controls.this) == 4 && alltrue([for o in aws_s3_bucket_ownership_controls.this : o.rule[0].object_ownership == "BucketOwnerEnforced"])
    error_message = "ACLs must be disabled (BucketOwnerEnforced) on every bucket."
  }

  assert {
    condition = alltrue([for k in ["raw", "processed", "athena"] :
      one(aws_s3_bucket_server_side_encryption_configuration.this[k].rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
      && one(aws_s3_bucket_server_side_encryption_configuration.this[k].rule).apply_server_side_encryption_by_default[0].kms_master_key_id == aws_kms_key.lake.arn
    ])
    error_message = "The raw, processed and Athena buckets must default to SSE-KMS with the StreamLake key."
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.this["logs"].rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256"
    error_message = "The access-log bucket must use SSE-S3: log delivery does not support SSE-KMS targets."
  }

  assert {
    condition     = aws_kms_key.lake.enable_key_rotation
    error_message = "The customer-managed key must rotate."
  }

  assert {
    condition = alltrue([for k, p in aws_s3_bucket_policy.this : jsonencode(
      [for s in jsondecode(p.policy).Statement : s if s.Sid == "DenyInsecureTransport"]
      ) == jsonencode([{
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.bucket_arns[k], "${local.bucket_arns[k]}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }])])
    error_message = "Every bucket policy must deny non-TLS requests to the bucket and its objects."
  }

  assert {
    condition = alltrue([for k, p in aws_s3_bucket_policy.this :
      alltrue([for s in jsondecode(p.policy).Statement : s.Effect == "Deny" || s.Principal != "*"])
    ])
    error_message = "No bucket policy may allow anything to Principal *."
  }
}

run "versioning_and_access_logging" {
  command = plan

  assert {
    condition = (
      aws_s3_bucket_versioning.raw.versioning_configuration[0].status == "Enabled"
      && aws_s3_bucket_versioning.processed.versioning_configuration[0].status == "Enabled"
      && aws_s3_bucket_versioning.logs.versioning_configuration[0].status == "Enabled"
    )
    error_message = "Raw (replay), processed and the access logs must be versioned."
  }

  assert {
    condition = alltrue([for l in [aws_s3_bucket_logging.raw, aws_s3_bucket_logging.processed, aws_s3_bucket_logging.athena] :
      l.target_bucket == aws_s3_bucket.logs.id && startswith(l.target_prefix, "s3-access-logs/")
    ])
    error_message = "The three data buckets must send access logs to the access-log bucket."
  }
}

run "lifecycle_rules_default" {
  command = plan

  assert {
    condition = jsonencode([for r in aws_s3_bucket_lifecycle_configuration.raw.rule : [r.id, r.status, r.filter[0].prefix, r.expiration[0].days]
    if r.id == "expire-raw"]) == jsonencode([["expire-raw", "Enabled", "raw/", 30]])
    error_message = "Raw objects (raw/) must expire after 30 days by default."
  }

  assert {
    condition     = [for r in aws_s3_bucket_lifecycle_configuration.raw.rule : r.id] == ["expire-raw", "housekeeping"]
    error_message = "The raw bucket has exactly two rules: expire-raw (raw/ only: quarantine and ledgers are kept) and housekeeping."
  }

  assert {
    condition     = jsonencode([for r in aws_s3_bucket_lifecycle_configuration.athena.rule : [r.id, r.status, r.expiration[0].days]]) == jsonencode([["expire-results", "Enabled", 7]])
    error_message = "Athena results must expire after 7 days."
  }

  assert {
    # The bucket-wide rules (filter {}): housekeeping, expire-results, expire-access-logs.
    condition = alltrue([for c in [
      aws_s3_bucket_lifecycle_configuration.raw,
      aws_s3_bucket_lifecycle_configuration.processed,
      aws_s3_bucket_lifecycle_configuration.athena,
      aws_s3_bucket_lifecycle_configuration.logs,
      ] : anytrue([for r in c.rule :
        contains(["housekeeping", "expire-results", "expire-access-logs"], r.id) && r.status == "Enabled"
        && length(r.abort_incomplete_multipart_upload) == 1 && r.abort_incomplete_multipart_upload[0].days_after_initiation == 1
    ])])
    error_message = "Every bucket must abort incomplete multipart uploads bucket-wide after 1 day."
  }

  assert {
    condition = alltrue([for c in [
      aws_s3_bucket_lifecycle_configuration.raw,
      aws_s3_bucket_lifecycle_configuration.processed,
      aws_s3_bucket_lifecycle_configuration.logs,
      ] : anytrue([for r in c.rule : length(r.noncurrent_version_expiration) == 1 ? r.noncurrent_version_expiration[0].noncurrent_days == 7 : false])
    ])
    error_message = "Versioned buckets must expire noncurrent versions (default 7 days)."
  }
}

run "lifecycle_rules_follow_variables" {
  command = plan

  variables {
    raw_retention_days            = 10
    athena_results_retention_days = 3
  }

  assert {
    condition     = [for r in aws_s3_bucket_lifecycle_configuration.raw.rule : r.expiration[0].days if r.id == "expire-raw"] == [10]
    error_message = "raw_retention_days must set the raw expiration."
  }

  assert {
    condition     = [for r in aws_s3_bucket_lifecycle_configuration.athena.rule : r.expiration[0].days] == [3]
    error_message = "athena_results_retention_days must set the results expiration."
  }
}

run "retention_must_be_positive" {
  command = plan

  variables {
    raw_retention_days = 0
  }

  expect_failures = [var.raw_retention_days]
}
