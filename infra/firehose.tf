# Kinesis Data Firehose: Direct PUT (the generator calls PutRecordBatch), GZIP, into the raw
# bucket under the DESIGN §3 layout. Firehose appends `<stream>-1-YYYY-MM-DD-HH-MM-SS-<uuid>`
# and, for GZIP, the `.gz` extension, which is what the transformer's notification filter and
# key parser expect.

resource "aws_cloudwatch_log_group" "firehose" {
  name              = "/aws/kinesisfirehose/${local.firehose_stream_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.lake.arn
}

resource "aws_cloudwatch_log_stream" "firehose_delivery" {
  name           = "DestinationDelivery"
  log_group_name = aws_cloudwatch_log_group.firehose.name
}

resource "aws_kinesis_firehose_delivery_stream" "raw" {
  name        = local.firehose_stream_name
  destination = "extended_s3"

  # Records are encrypted at rest inside Firehose with the StreamLake key.
  server_side_encryption {
    enabled  = true
    key_type = "CUSTOMER_MANAGED_CMK"
    key_arn  = aws_kms_key.lake.arn
  }

  extended_s3_configuration {
    role_arn            = aws_iam_role.firehose.arn
    bucket_arn          = aws_s3_bucket.raw.arn
    prefix              = local.firehose_prefix
    error_output_prefix = local.firehose_error_prefix
    compression_format  = "GZIP"
    buffering_size      = var.firehose_buffer_size_mib
    buffering_interval  = var.firehose_buffer_interval_seconds
    # Objects are encrypted by the raw bucket's default (SSE-KMS with the StreamLake key).

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.firehose.name
      log_stream_name = aws_cloudwatch_log_stream.firehose_delivery.name
    }
  }

  # The role's policy must be in place before Firehose validates the destination.
  depends_on = [aws_iam_role_policy.firehose]
}
