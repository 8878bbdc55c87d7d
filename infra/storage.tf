# S3: raw (bronze + quarantine + ledgers), processed (silver + gold), Athena results, and the
# access-log bucket that records requests to the other three. All private (Block Public
# Access, ACLs disabled), TLS-only, with lifecycle rules.

locals {
  # The three data buckets: SSE-KMS with the StreamLake key, access-logged.
  data_buckets = toset(["raw", "processed", "athena"])
}

resource "aws_s3_bucket" "raw" {
  # checkov:skip=CKV_AWS_144: Cross-region replication would double storage cost; bronze expires after raw_retention_days anyway and is versioned against mistakes. Add replication if your DR policy needs it.
  bucket        = local.bucket_names.raw
  force_destroy = var.allow_destroy_with_data
}

resource "aws_s3_bucket" "processed" {
  # checkov:skip=CKV_AWS_144: Silver is derived data, rebuilt from bronze by the transformer; it is versioned against mistakes. Add replication if your DR policy needs it.
  bucket        = local.bucket_names.processed
  force_destroy = var.allow_destroy_with_data
}

resource "aws_s3_bucket" "athena" {
  # checkov:skip=CKV_AWS_144: Query results are disposable (re-run the query) and expire after athena_results_retention_days.
  # checkov:skip=CKV_AWS_21: Query results are disposable and expire after a week; versioning would only keep deleted results longer.
  # checkov:skip=CKV2_AWS_62: Nothing consumes Athena result object events.
  bucket        = local.bucket_names.athena
  force_destroy = var.allow_destroy_with_data
}

resource "aws_s3_bucket" "logs" {
  # checkov:skip=CKV_AWS_144: Access logs are an audit aid for this stack, not a system of record.
  # checkov:skip=CKV_AWS_18: This is the access-log target; logging it to itself would loop.
  # checkov:skip=CKV_AWS_145: S3 server access log delivery supports only SSE-S3 (AES256) on the target bucket.
  # checkov:skip=CKV2_AWS_62: Nothing consumes access-log object events.
  bucket        = local.bucket_names.logs
  force_destroy = var.allow_destroy_with_data
}

locals {
  buckets = {
    raw       = aws_s3_bucket.raw
    processed = aws_s3_bucket.processed
    athena    = aws_s3_bucket.athena
    logs      = aws_s3_bucket.logs
  }
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = each.value.id
  rule {
    # ACLs disabled: the bucket owner owns every object, access is by policy only.
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = each.key == "logs" ? "AES256" : "aws:kms"
      kms_master_key_id = each.key == "logs" ? null : aws_kms_key.lake.arn
    }
    # S3 Bucket Keys cut KMS requests (and their cost) by orders of magnitude.
    bucket_key_enabled = each.key != "logs"
  }
}

# Versioning and access logging: explicit per bucket (not for_each) so that checkov links each
# to its bucket. Versioned: raw (replay needs every raw object intact until it expires),
# processed (a mistaken delete or overwrite of silver is recoverable) and the access logs
# (tamper evidence). Athena results are disposable: re-run the query.
resource "aws_s3_bucket_versioning" "raw" {
  bucket = aws_s3_bucket.raw.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_versioning" "processed" {
  bucket = aws_s3_bucket.processed.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_logging" "raw" {
  bucket        = aws_s3_bucket.raw.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "${local.prefixes.access_logs}${local.bucket_names.raw}/"
}

resource "aws_s3_bucket_logging" "processed" {
  bucket        = aws_s3_bucket.processed.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "${local.prefixes.access_logs}${local.bucket_names.processed}/"
}

resource "aws_s3_bucket_logging" "athena" {
  bucket        = aws_s3_bucket.athena.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "${local.prefixes.access_logs}${local.bucket_names.athena}/"
}

resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets

  bucket = each.value.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.bucket_arns[each.key], "${local.bucket_arns[each.key]}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      }],
      each.key == "logs" ? [{
        # S3 server access log delivery, from this account's StreamLake buckets only.
        Sid       = "S3ServerAccessLogDelivery"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${local.bucket_arns.logs}/${local.prefixes.access_logs}*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = [for k in local.data_buckets : local.bucket_arns[k]] }
        }
      }] : [],
    )
  })

  # The public access block must exist before a policy is attached.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

# ---------------------------------------------------------------------------------------------
# Lifecycle

resource "aws_s3_bucket_lifecycle_configuration" "raw" {
  bucket = aws_s3_bucket.raw.id

  rule {
    id     = "expire-raw"
    status = "Enabled"
    # Bronze and Firehose error output; quarantine and ledgers are kept (they are small and
    # they are the accounting of what bronze held).
    filter {
      prefix = "raw/"
    }
    expiration {
      days = var.raw_retention_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  rule {
    id     = "housekeeping"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }
    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.raw]
}

resource "aws_s3_bucket_lifecycle_configuration" "processed" {
  bucket = aws_s3_bucket.processed.id

  rule {
    id     = "housekeeping"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }
    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.processed]
}

resource "aws_s3_bucket_lifecycle_configuration" "athena" {
  bucket = aws_s3_bucket.athena.id

  rule {
    id     = "expire-results"
    status = "Enabled"
    filter {}
    expiration {
      days = var.athena_results_retention_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.access_log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.logs]
}
