# The four Rust Lambdas (crates/lambdas/*), built and zipped by scripts/package into
# target/lambda/<fn>/bootstrap.zip: custom runtime provided.al2023, handler "bootstrap".
# Environment variables match each crate's Config::from_env(), which fails fast on a missing
# required one.

locals {
  lambda_config = {
    generator = {
      description = "StreamLake: synthetic playback sessions to Firehose"
      # 512 MB: generation and JSON encoding are CPU-bound (Lambda CPU scales with memory) and
      # one PutRecordBatch holds at most 4 MiB; the process itself stays far below this.
      memory_mb = 512
      # 900 s (the maximum): MAX_EVENTS (2M events, ~660 MB of NDJSON) must fit within the
      # default Direct PUT throughput quota, 1 MiB/s outside the largest regions (~11 min).
      # The default 10,000-event run takes a few seconds.
      timeout_s    = 900
      ephemeral_mb = 512
      environment = {
        FIREHOSE_STREAM_NAME = local.firehose_stream_name
        PACK_BYTES           = "5000"
        DEFAULT_EVENTS       = tostring(var.generator_default_events)
        DEFAULT_DAYS         = "1"
        MAX_EVENTS           = tostring(var.generator_max_events)
        PROCESSED_BUCKET     = aws_s3_bucket.processed.bucket
      }
    }
    transformer = {
      description = "StreamLake: raw Firehose object to silver Parquet, quarantine and ledger"
      # 1,024 MB: memory is bounded by the output, one 128 Ki-row group (~40 MB) per open
      # event_date partition: a default 5 MiB object (~15,000 events) stays under 100 MiB,
      # a 65 MB one peaks at 138 MiB (docs/performance.md). The headroom covers big buffers
      # spanning several days, and buys CPU: decoding and Parquet encoding run at ~75-95 MB/s
      # of NDJSON on one core, and Lambda's CPU share grows with memory. Matches docs/cost.md.
      memory_mb = 1024
      # 300 s: the largest possible object (128 MiB gzip buffer, ~1.3 GB of NDJSON) takes
      # about a minute at this CPU share plus S3 I/O; a default 5 MiB object ~0.2 s.
      # 300 s bounds a hung invocation without cutting off a backfill of big objects.
      timeout_s = 300
      # 1,024 MB of /tmp: the raw object is spooled to a temporary file and Parquet row
      # groups are staged in STAGING_DIR before upload (max 128 MiB in + ~5% of it out).
      ephemeral_mb = 1024
      environment = {
        RAW_BUCKET             = local.bucket_names.raw
        PROCESSED_BUCKET       = local.bucket_names.processed
        STAGING_DIR            = "/tmp/streamlake-staging"
        MAX_CLOCK_SKEW_SECONDS = tostring(var.max_clock_skew_seconds)
        MAX_EVENT_AGE_DAYS     = tostring(var.max_event_age_days)
      }
    }
    registrar = {
      description = "StreamLake: silver commits and new partitions to the Glue catalog; scheduled compaction and garbage collection"
      # Two jobs. Per S3 event: read each new silver file's Parquet footer, append it to its
      # partition's commit (state and manifest, compare-and-swap), one BatchCreatePartition
      # for a new day. Scheduled ({"compact": {}}, schedules.tf): compact every due silver
      # partition, then delete files removed more than GRACE_SECONDS ago in silver and gold.
      # Memory and timeout are sized for the compaction (variables registrar_memory_mb,
      # default one full vCPU, and registrar_timeout_seconds, default 900 s).
      memory_mb = var.registrar_memory_mb
      timeout_s = var.registrar_timeout_seconds
      # 512 MB of /tmp: compaction stages a partition's compacted files there until it
      # commits them, so one day of silver may compact to at most about this much.
      ephemeral_mb = 512
      environment = {
        RAW_BUCKET                = local.bucket_names.raw
        PROCESSED_BUCKET          = local.bucket_names.processed
        GLUE_DATABASE             = local.glue_database
        GRACE_SECONDS             = tostring(var.gc_grace_seconds)
        COMPACTION_TARGET_FILE_MB = tostring(var.compaction_target_file_mb)
      }
    }
    query-runner = {
      description = "StreamLake: named Athena queries (sql/queries) and the gold refresh"
      # 256 MB: at most MAX_RESULT_ROWS rows (10,000 by default, a few MB) are held and
      # serialised to JSON; the query itself runs in Athena.
      memory_mb = 256
      # QUERY_TIMEOUT_SECONDS + 60 s: the handler stops an overrunning query itself and
      # then needs time for StopQueryExecution and to page the results.
      timeout_s    = var.query_timeout_seconds + 60
      ephemeral_mb = 512
      environment = {
        ATHENA_WORKGROUP       = local.athena_workgroup
        GLUE_DATABASE          = local.glue_database
        ATHENA_OUTPUT_LOCATION = local.athena_output
        QUERY_TIMEOUT_SECONDS  = tostring(var.query_timeout_seconds)
        MAX_RESULT_ROWS        = tostring(var.max_result_rows)
        # refresh_gold: the bucket of gold/netflix/ (UNLOAD destinations, gold commits and
        # manifests) and of the silver commit states it records as lineage.
        PROCESSED_BUCKET = local.bucket_names.processed
      }
    }
  }
}

resource "aws_cloudwatch_log_group" "lambda" {
  for_each = local.function_names

  name              = "/aws/lambda/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.lake.arn
}

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_116: Failed asynchronous invocations go to the encrypted SQS on-failure destination (aws_lambda_function_event_invoke_config below), which records the request and error; a DLQ as well would duplicate every failure.
  # checkov:skip=CKV_AWS_117: The functions call only AWS APIs (S3, Firehose, Glue, Athena) over TLS with IAM auth and hold no private network resources; a VPC would add NAT or endpoint cost and cold-start latency for no isolation gain.
  # checkov:skip=CKV_AWS_272: The zips are built from this repository by scripts/package and uploaded by Terraform directly; there is no signing pipeline (AWS Signer needs S3-hosted signed artifacts). Deploy access is controlled by IAM.
  for_each = local.lambda_config

  function_name = local.function_names[each.key]
  description   = each.value.description
  role          = aws_iam_role.lambda[each.key].arn
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = [var.lambda_architecture]

  filename = local.lambda_zips[each.key]
  # try(): `terraform validate` and the offline tests run without the zips; the
  # precondition below gives the real error.
  source_code_hash = try(filebase64sha256(local.lambda_zips[each.key]), null)

  memory_size                    = each.value.memory_mb
  timeout                        = each.value.timeout_s
  reserved_concurrent_executions = var.reserved_concurrency[each.key]
  kms_key_arn                    = aws_kms_key.lake.arn

  ephemeral_storage {
    size = each.value.ephemeral_mb
  }

  environment {
    variables = each.value.environment
  }

  tracing_config {
    mode = "Active"
  }

  lifecycle {
    precondition {
      condition     = fileexists(local.lambda_zips[each.key])
      error_message = "No Lambda package at ${local.lambda_zips[each.key]}: run scripts/package first (or set lambda_zips)."
    }
  }

  depends_on = [
    aws_cloudwatch_log_group.lambda,
    aws_iam_role_policy.lambda,
  ]
}

# ---------------------------------------------------------------------------------------------
# Asynchronous invocations (S3 notifications, schedules): bounded retries, then the
# on-failure queue. Errors carry errorType StreamLake.Retryable or StreamLake.NonRetryable
# (docs/metrics.md); redrive NonRetryable ones after fixing the cause.

resource "aws_sqs_queue" "lambda_failures" {
  name                              = local.dlq_name
  message_retention_seconds         = 1209600 # 14 days, SQS's maximum
  kms_master_key_id                 = aws_kms_key.lake.arn
  kms_data_key_reuse_period_seconds = 3600
}

resource "aws_lambda_function_event_invoke_config" "this" {
  for_each = aws_lambda_function.this

  function_name                = each.value.function_name
  maximum_retry_attempts       = var.async_max_retry_attempts
  maximum_event_age_in_seconds = var.async_max_event_age_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.lambda_failures.arn
    }
  }
}

# ---------------------------------------------------------------------------------------------
# S3 notifications: one configuration per bucket (S3 keeps exactly one), filters on the
# DESIGN §3 prefixes.

resource "aws_lambda_permission" "s3_invoke" {
  for_each = {
    raw_to_transformer     = { function = "transformer", bucket = "raw" }
    raw_to_registrar       = { function = "registrar", bucket = "raw" }
    processed_to_registrar = { function = "registrar", bucket = "processed" }
  }

  statement_id   = "AllowS3-${replace(each.key, "_", "-")}"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this[each.value.function].function_name
  principal      = "s3.amazonaws.com"
  source_arn     = local.bucket_arns[each.value.bucket]
  source_account = local.account_id
}

resource "aws_s3_bucket_notification" "raw" {
  bucket = aws_s3_bucket.raw.id

  # Firehose objects (gzip NDJSON) into the transformer. Firehose error output goes under
  # raw/errors/, outside this prefix.
  lambda_function {
    id                  = "${var.name_prefix}-raw-to-transformer"
    lambda_function_arn = aws_lambda_function.this["transformer"].arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = local.prefixes.raw
    filter_suffix       = ".gz"
  }

  # Quarantine Parquet files into the registrar (quarantined_netflix_events partitions).
  lambda_function {
    id                  = "${var.name_prefix}-quarantine-to-registrar"
    lambda_function_arn = aws_lambda_function.this["registrar"].arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = local.prefixes.quarantine
    filter_suffix       = ".parquet"
  }

  depends_on = [aws_lambda_permission.s3_invoke]
}

resource "aws_s3_bucket_notification" "processed" {
  bucket = aws_s3_bucket.processed.id

  # Silver Parquet files into the registrar (appended to their partition's commit, and
  # processed_netflix_events partitions). Only the transformer's appends: the registrar's
  # compacted files (processed_compacted/), the manifests, commit states and logs, and gold
  # are outside this prefix, so nothing the registrar writes invokes it again.
  lambda_function {
    id                  = "${var.name_prefix}-silver-to-registrar"
    lambda_function_arn = aws_lambda_function.this["registrar"].arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = local.prefixes.processed
    filter_suffix       = ".parquet"
  }

  depends_on = [aws_lambda_permission.s3_invoke]
}
