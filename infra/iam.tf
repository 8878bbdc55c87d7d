# One role per Lambda and one for Firehose, each limited to its own buckets, prefixes,
# stream, Glue tables and workgroup. No wildcard actions; the only "*" resource is X-Ray's
# PutTraceSegments/PutTelemetryRecords, which support no resource-level permissions.
# tests/iam.tftest.hcl pins every statement.

locals {
  s3_via      = "s3.${local.region}.${local.dns_suffix}"
  sqs_via     = "sqs.${local.region}.${local.dns_suffix}"
  dlq_name    = "${var.name_prefix}-lambda-failures"
  dlq_arn     = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.dlq_name}"
  raw_arn     = local.bucket_arns.raw
  proc_arn    = local.bucket_arns.processed
  results_arn = local.bucket_arns.athena

  # What every function needs: its own log group, X-Ray, the on-failure queue (and the key
  # to encrypt messages for it), and kms:Decrypt for its KMS-encrypted environment.
  lambda_common_statements = {
    for fn in local.functions : fn => [
      {
        Sid      = "OwnLogGroup"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${local.log_group_arns[fn]}:*"
      },
      {
        Sid      = "XRayTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = "*"
      },
      {
        Sid      = "OnFailureDestination"
        Effect   = "Allow"
        Action   = "sqs:SendMessage"
        Resource = local.dlq_arn
      },
      {
        Sid      = "DecryptWithLakeKey"
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.lake.arn
      },
      {
        Sid      = "EncryptWithLakeKeyViaServices"
        Effect   = "Allow"
        Action   = "kms:GenerateDataKey"
        Resource = aws_kms_key.lake.arn
        Condition = {
          StringEquals = {
            "kms:ViaService" = contains(["generator", "transformer", "query-runner"], fn) ? [local.s3_via, local.sqs_via] : [local.sqs_via]
          }
        }
      },
    ]
  }

  lambda_statements = {
    generator = [
      {
        Sid      = "PutRecordsToTheStream"
        Effect   = "Allow"
        Action   = "firehose:PutRecordBatch"
        Resource = local.firehose_stream_arn
      },
      {
        # The title dimension top_titles joins on: one fixed key, rewritten idempotently.
        Sid      = "WriteTheTitleDimension"
        Effect   = "Allow"
        Action   = "s3:PutObject"
        Resource = "${local.proc_arn}/${local.prefixes.titles}titles.snappy.parquet"
      },
    ]

    transformer = [
      {
        Sid      = "ReadRawObjects"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = "${local.raw_arn}/${local.prefixes.raw}*"
      },
      {
        Sid      = "ReadAndWriteLedgers"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = "${local.raw_arn}/${local.prefixes.ledger}*"
      },
      {
        # PutObject also covers CreateMultipartUpload/UploadPart/CompleteMultipartUpload
        # (files above 16 MiB); AbortMultipartUpload cleans up a failed one.
        Sid      = "WriteQuarantineAndSilver"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:AbortMultipartUpload"]
        Resource = ["${local.raw_arn}/${local.prefixes.quarantine}*", "${local.proc_arn}/${local.prefixes.processed}*"]
      },
      {
        # A missing ledger must read as 404 (not yet processed), which S3 only answers to a
        # caller with s3:ListBucket; otherwise it is a 403 and the object fails. S3 may not
        # supply s3:prefix on that implicit check, hence IfExists: real List calls stay
        # limited to the ledger prefix.
        Sid       = "MissingLedgerIs404"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = local.raw_arn
        Condition = { StringLikeIfExists = { "s3:prefix" = ["${local.prefixes.ledger}*"] } }
      },
    ]

    registrar = [
      {
        Sid    = "AddPartitionsToLakeTables"
        Effect = "Allow"
        Action = ["glue:GetTable", "glue:BatchCreatePartition"]
        Resource = [
          local.glue_arns.catalog,
          local.glue_arns.database,
          "${local.glue_arns.tables}/processed_netflix_events",
          "${local.glue_arns.tables}/quarantined_netflix_events",
        ]
      },
    ]

    query-runner = [
      {
        Sid      = "RunQueriesInTheWorkgroup"
        Effect   = "Allow"
        Action   = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution"]
        Resource = local.athena_workgroup_arn
      },
      {
        Sid      = "ReadTheCatalog"
        Effect   = "Allow"
        Action   = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"]
        Resource = [local.glue_arns.catalog, local.glue_arns.database, "${local.glue_arns.tables}/*"]
      },
      {
        # refresh_gold: Athena's INSERT INTO adds the day's partition to the gold table (or
        # updates it on a re-run). Writes on the gold tables only; every other table stays
        # read-only (ReadTheCatalog).
        Sid      = "AddGoldPartitions"
        Effect   = "Allow"
        Action   = ["glue:BatchCreatePartition", "glue:CreatePartition", "glue:UpdatePartition"]
        Resource = concat([local.glue_arns.catalog, local.glue_arns.database], [for t in local.gold_tables : "${local.glue_arns.tables}/${t}"])
      },
      {
        # What the named queries and the gold SQL read: silver, titles, quarantine
        # (dq_rejections_by_reason, daily_quarantine_reasons) and the ledgers
        # (daily_data_quality). Not bronze: nothing the query-runner runs reads
        # raw_netflix_events, and bronze holds PII. Gold is read in RefreshGoldObjects.
        Sid    = "ReadLakeTables"
        Effect = "Allow"
        Action = "s3:GetObject"
        Resource = [
          "${local.proc_arn}/${local.prefixes.processed}*",
          "${local.proc_arn}/${local.prefixes.titles}*",
          "${local.raw_arn}/${local.prefixes.quarantine}*",
          "${local.raw_arn}/${local.prefixes.ledger}*",
        ]
      },
      {
        Sid       = "ListProcessedTableLocations"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = local.proc_arn
        Condition = { StringLike = { "s3:prefix" = ["${local.prefixes.processed}*", "${local.prefixes.titles}*", "${local.prefixes.gold}*"] } }
      },
      {
        Sid       = "ListRawTableLocations"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = local.raw_arn
        Condition = { StringLike = { "s3:prefix" = ["${local.prefixes.quarantine}*", "${local.prefixes.ledger}*"] } }
      },
      {
        # refresh_gold deletes gold/netflix/<table>/<col>=<day>/ and Athena's INSERT INTO
        # (running with this role's credentials) writes the day again, so the role may
        # replace gold objects, and only those: the one delete permission in the stack.
        # PutObject also covers multipart uploads; AbortMultipartUpload cleans up a failed one.
        Sid      = "RefreshGoldObjects"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
        Resource = "${local.proc_arn}/${local.prefixes.gold}*"
      },
      {
        Sid      = "LocateLakeBuckets"
        Effect   = "Allow"
        Action   = "s3:GetBucketLocation"
        Resource = [local.proc_arn, local.raw_arn, local.results_arn]
      },
      {
        Sid      = "WriteQueryResults"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
        Resource = "${local.results_arn}/${local.prefixes.athena}*"
      },
      {
        Sid      = "ListQueryResults"
        Effect   = "Allow"
        Action   = ["s3:ListBucket", "s3:ListBucketMultipartUploads"]
        Resource = local.results_arn
      },
    ]
  }

  firehose_statements = [
    {
      # Firehose's own S3 destination permissions, on the raw/ prefix only
      # (raw/netflix/ for data, raw/errors/ for error output).
      Sid      = "WriteRawPrefixOnly"
      Effect   = "Allow"
      Action   = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"]
      Resource = ["${local.raw_arn}/${local.prefixes.raw}*", "${local.raw_arn}/${local.prefixes.raw_errors}*"]
    },
    {
      Sid      = "RawBucketLevel"
      Effect   = "Allow"
      Action   = ["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]
      Resource = local.raw_arn
    },
    {
      Sid       = "ListRawPrefixOnly"
      Effect    = "Allow"
      Action    = "s3:ListBucket"
      Resource  = local.raw_arn
      Condition = { StringLike = { "s3:prefix" = ["${local.prefixes.raw}*", "${local.prefixes.raw_errors}*"] } }
    },
    {
      Sid       = "EncryptRawObjects"
      Effect    = "Allow"
      Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
      Resource  = aws_kms_key.lake.arn
      Condition = { StringEquals = { "kms:ViaService" = local.s3_via } }
    },
    {
      Sid      = "DeliveryErrorLogs"
      Effect   = "Allow"
      Action   = "logs:PutLogEvents"
      Resource = "${aws_cloudwatch_log_group.firehose.arn}:log-stream:${aws_cloudwatch_log_stream.firehose_delivery.name}"
    },
  ]
}

# ---------------------------------------------------------------------------------------------
# Lambda roles

resource "aws_iam_role" "lambda" {
  for_each = local.function_names

  name        = "${each.value}-role"
  description = "StreamLake ${each.key} Lambda execution role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "lambda" {
  for_each = local.function_names

  name = "${each.value}-least-privilege"
  role = aws_iam_role.lambda[each.key].id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(local.lambda_statements[each.key], local.lambda_common_statements[each.key])
  })
}

# ---------------------------------------------------------------------------------------------
# Firehose role

resource "aws_iam_role" "firehose" {
  name        = "${local.firehose_stream_name}-firehose-role"
  description = "StreamLake Firehose delivery role (raw bucket, raw/ prefix)"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "firehose.amazonaws.com" }
      Action    = "sts:AssumeRole"
      # Confused-deputy guard: only Firehose acting for this account.
      Condition = { StringEquals = { "sts:ExternalId" = local.account_id } }
    }]
  })
}

resource "aws_iam_role_policy" "firehose" {
  name = "${local.firehose_stream_name}-firehose-least-privilege"
  role = aws_iam_role.firehose.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.firehose_statements
  })
}
