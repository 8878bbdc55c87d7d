# One customer-managed key encrypts everything StreamLake stores: the three data buckets,
# Firehose, the on-failure queue, the alarm topic, Lambda environments, CloudWatch log groups
# and Athena results. IAM policies grant its use per role (iam.tf); the key policy only
# delegates to IAM and lets the two services that act without a role of ours use it.

resource "aws_kms_key" "lake" {
  description             = "StreamLake: S3, Firehose, SQS, SNS, Lambda environment, logs and Athena results"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = jsonencode(local.kms_key_policy)
}

resource "aws_kms_alias" "lake" {
  name          = "alias/${var.name_prefix}"
  target_key_id = aws_kms_key.lake.key_id
}

locals {
  kms_key_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # Standard delegation: the account's IAM policies decide who uses and administers the
        # key. ("*" in a key policy means this key.)
        Sid       = "AccountIAMDelegation"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        # CloudWatch Logs encrypts the StreamLake log groups, and only those.
        Sid       = "CloudWatchLogsForStreamLakeLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.${local.dns_suffix}" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = [
              "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${var.name_prefix}-*",
              "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/kinesisfirehose/${var.name_prefix}-*",
            ]
          }
        }
      },
      {
        # CloudWatch alarms publish to the encrypted alarm topic.
        Sid       = "CloudWatchAlarmsToEncryptedTopic"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
    ]
  }
}
