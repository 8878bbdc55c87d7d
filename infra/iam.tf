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

  # The functions that write S3 objects (SSE-KMS with the lake key by bucket default), so need
  # data keys via S3: the generator (titles), the transformer (silver, quarantine, ledgers),
  # the registrar (commits, manifests, compacted files) and the query-runner (Athena's UNLOAD
  # output under its credentials, gold commits). Every one of them today; listed so that a
  # new function does not get it by default.
  s3_writing_functions = ["generator", "transformer", "registrar", "query-runner"]

  # What every function needs: its own log group, X-Ray, the on-failure queue (and the key
  # to encrypt messages for it), and kms:Decrypt for its KMS-encrypted environment (and, for
  # the readers, the lake's objects).
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
            "kms:ViaService" = contains(local.s3_writing_functions, fn) ? [local.s3_via, local.sqs_via] : [local.sqs_via]
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
      {
        # Appends read each new silver file's Parquet footer (its row count); compaction reads
        # whole live files, appended or already compacted.
        Sid      = "ReadSilverFiles"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = ["${local.proc_arn}/${local.prefixes.processed}*", "${local.proc_arn}/${local.prefixes.processed_compacted}*"]
      },
      {
        # Compaction's output, outside processed_partitioned/ so that it invokes nothing.
        # PutObject also covers the multipart upload of a large compacted file;
        # AbortMultipartUpload cleans up a failed one.
        Sid      = "WriteCompactedSilver"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:AbortMultipartUpload"]
        Resource = "${local.proc_arn}/${local.prefixes.processed_compacted}*"
      },
      {
        # The commit protocol: read a partition's state, compare-and-swap it (PutObject with
        # If-Match / If-None-Match), publish its manifest, append to its commit log. Silver
        # for appends and compactions; gold because garbage collection commits there too
        # (it marks deleted files in the state and republishes a stale manifest).
        Sid    = "CommitSilverAndGold"
        Effect = "Allow"
        Action = ["s3:GetObject", "s3:PutObject"]
        Resource = [for p in ["processed_commits", "processed_manifests", "processed_commit_log", "gold_commits", "gold_manifests", "gold_commit_log"] :
          "${local.proc_arn}/${local.prefixes[p]}*"
        ]
      },
      {
        # Garbage collection: data files a commit removed more than GRACE_SECONDS ago (silver
        # appends and compacted files, gold UNLOAD output), and a compaction's own output when
        # a concurrent commit replaced its inputs first; never states, manifests or logs. The
        # processed bucket is versioned: a deleted file stays recoverable for
        # noncurrent_version_retention_days.
        Sid      = "DeleteRemovedFiles"
        Effect   = "Allow"
        Action   = "s3:DeleteObject"
        Resource = ["${local.proc_arn}/${local.prefixes.processed}*", "${local.proc_arn}/${local.prefixes.processed_compacted}*", "${local.proc_arn}/${local.gold_unload_keys}"]
      },
      {
        # Compaction and garbage collection list the commit states (which partitions exist)
        # and the commit logs. And a missing state or manifest (a new partition) must read as
        # 404, which S3 only answers to a caller with s3:ListBucket; S3 may not supply
        # s3:prefix on that implicit check, hence IfExists (as MissingLedgerIs404): real List
        # calls stay limited to these prefixes.
        Sid      = "ListCommits"
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = local.proc_arn
        Condition = { StringLikeIfExists = { "s3:prefix" = [for p in ["processed_commits", "processed_commit_log", "gold_commits", "gold_commit_log"] :
          "${local.prefixes[p]}*"
        ] } }
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
        # refresh_gold registers a newly committed gold day with Athena DDL
        # (ALTER TABLE ... ADD IF NOT EXISTS PARTITION ... LOCATION '<manifest directory>').
        # Adds only, never updates: a day's location is its manifest directory for good. On
        # the gold tables only; every other table stays read-only (ReadTheCatalog).
        Sid      = "AddGoldPartitions"
        Effect   = "Allow"
        Action   = ["glue:BatchCreatePartition", "glue:CreatePartition"]
        Resource = concat([local.glue_arns.catalog, local.glue_arns.database], [for t in local.gold_tables : "${local.glue_arns.tables}/${t}"])
      },
      {
        # What the named queries and the gold SQL read, with this role's credentials: silver
        # (a symlink table: its manifests and the appended and compacted files they list),
        # titles, quarantine (dq_rejections_by_reason, daily_quarantine_reasons) and the
        # ledgers (daily_data_quality). Not bronze: nothing the query-runner runs reads
        # raw_netflix_events, and bronze holds PII. Gold is read in UnloadGold and CommitGold.
        Sid    = "ReadLakeTables"
        Effect = "Allow"
        Action = "s3:GetObject"
        Resource = [
          "${local.proc_arn}/${local.prefixes.processed_manifests}*",
          "${local.proc_arn}/${local.prefixes.processed}*",
          "${local.proc_arn}/${local.prefixes.processed_compacted}*",
          "${local.proc_arn}/${local.prefixes.titles}*",
          "${local.raw_arn}/${local.prefixes.quarantine}*",
          "${local.raw_arn}/${local.prefixes.ledger}*",
        ]
      },
      {
        # A gold day's lineage: the versions of the silver days it was computed from, read
        # from their commit states (read-only: only the registrar commits silver).
        Sid      = "ReadSilverCommitStates"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = "${local.proc_arn}/${local.prefixes.processed_commits}*"
      },
      {
        # What Athena lists with this role's credentials: the table and partition locations
        # (the symlink tables' manifest directories, the titles) and, before an UNLOAD, its
        # destination (it must be empty).
        Sid      = "ListProcessedTableLocations"
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = local.proc_arn
        Condition = { StringLike = { "s3:prefix" = [
          "${local.prefixes.processed_manifests}*",
          "${local.prefixes.titles}*",
          "${local.prefixes.gold_manifests}*",
          local.gold_unload_keys,
        ] } }
      },
      {
        Sid       = "ListRawTableLocations"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = local.raw_arn
        Condition = { StringLike = { "s3:prefix" = ["${local.prefixes.quarantine}*", "${local.prefixes.ledger}*"] } }
      },
      {
        # refresh_gold's UNLOAD: Athena writes the Parquet files with this role's credentials
        # into gold/netflix/<table>/unload/<run>/ (a new prefix per run: nothing is
        # overwritten, and nothing is deleted, so no s3:DeleteObject). PutObject also covers
        # multipart uploads; AbortMultipartUpload and ListMultipartUploadParts are what Athena
        # uses to manage them. GetObject: the refresh reads the new files' Parquet footers, and
        # queries of the gold tables read the files their manifests list.
        Sid      = "UnloadGold"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:GetObject"]
        Resource = "${local.proc_arn}/${local.gold_unload_keys}"
      },
      {
        # The commit protocol for gold: read a day's state, compare-and-swap it (PutObject
        # with If-Match / If-None-Match), publish its manifest (also what Athena reads as the
        # partition), append to its commit log.
        Sid    = "CommitGold"
        Effect = "Allow"
        Action = ["s3:GetObject", "s3:PutObject"]
        Resource = [for p in ["gold_commits", "gold_manifests", "gold_commit_log"] :
          "${local.proc_arn}/${local.prefixes[p]}*"
        ]
      },
      {
        # The gold commit states and logs; and a missing state (a new day, or a silver day
        # not yet committed) must read as 404, which S3 only answers to a caller with
        # s3:ListBucket. S3 may not supply s3:prefix on that implicit check, hence IfExists
        # (as MissingLedgerIs404): real List calls stay limited to these prefixes.
        Sid       = "ListGoldCommits"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = local.proc_arn
        Condition = { StringLikeIfExists = { "s3:prefix" = ["${local.prefixes.gold_commits}*", "${local.prefixes.gold_commit_log}*"] } }
      },
      {
        Sid      = "LocateLakeBuckets"
        Effect   = "Allow"
        Action   = "s3:GetBucketLocation"
        Resource = [local.proc_arn, local.raw_arn, local.results_arn]
      },
      {
        # Query results, and UNLOAD's data manifest (<QueryExecutionId>-manifest.csv), which
        # the refresh reads to learn the files it wrote.
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
