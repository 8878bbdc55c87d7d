# The data path: Firehose lands objects exactly where the transformer listens, S3 events reach
# the right functions, and each Lambda is configured the way its Config::from_env() expects.

mock_provider "aws" {
  source = "./tests/mocks"

  # Distinct ARNs per function, so wiring to the wrong function is visible.
  override_resource {
    target          = aws_lambda_function.this["generator"]
    override_during = plan
    values          = { arn = "arn:aws:lambda:us-east-1:123456789012:function:streamlake-generator" }
  }
  override_resource {
    target          = aws_lambda_function.this["transformer"]
    override_during = plan
    values          = { arn = "arn:aws:lambda:us-east-1:123456789012:function:streamlake-transformer" }
  }
  override_resource {
    target          = aws_lambda_function.this["registrar"]
    override_during = plan
    values          = { arn = "arn:aws:lambda:us-east-1:123456789012:function:streamlake-registrar" }
  }
  override_resource {
    target          = aws_lambda_function.this["query-runner"]
    override_during = plan
    values          = { arn = "arn:aws:lambda:us-east-1:123456789012:function:streamlake-query-runner" }
  }
}

variables {
  lambda_zips = {
    generator      = "tests/fixtures/bootstrap.zip"
    transformer    = "tests/fixtures/bootstrap.zip"
    registrar      = "tests/fixtures/bootstrap.zip"
    "query-runner" = "tests/fixtures/bootstrap.zip"
  }
}

run "firehose_lands_objects_in_the_raw_layout" {
  command = plan

  assert {
    condition = (
      aws_kinesis_firehose_delivery_stream.raw.destination == "extended_s3"
      && aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration[0].compression_format == "GZIP"
      && aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration[0].bucket_arn == aws_s3_bucket.raw.arn
    )
    error_message = "Firehose must deliver GZIP to the raw bucket."
  }

  assert {
    # Render the !{timestamp:...} prefix for the fixture object's arrival hour and append the
    # name Firehose gives objects: the result must be the DESIGN §3 key the Rust tests use.
    condition = join("", [
      replace(replace(replace(replace(aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration[0].prefix,
      "!{timestamp:yyyy}", "2024"), "!{timestamp:MM}", "03"), "!{timestamp:dd}", "05"), "!{timestamp:HH}", "12"),
      "${aws_kinesis_firehose_delivery_stream.raw.name}-1-2024-03-05-12-00-00-3f0c9a52-8d1e-4c6b-9a57-0e4d2b7c1a90.gz",
    ]) == trimspace(file("../tests/fixtures/firehose_object.key"))
    error_message = "The Firehose prefix does not render to the raw layout of DESIGN §3 (tests/fixtures/firehose_object.key)."
  }

  assert {
    condition = replace(replace(replace(replace(aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration[0].prefix,
      "!{timestamp:yyyy}", "YYYY"), "!{timestamp:MM}", "MM"), "!{timestamp:dd}", "DD"), "!{timestamp:HH}", "HH"
    ) == "raw/netflix/ingest_year=YYYY/ingest_month=MM/ingest_day=DD/ingest_hour=HH/"
    error_message = "The Firehose prefix must be DESIGN §3's raw/netflix/ingest_year=YYYY/ingest_month=MM/ingest_day=DD/ingest_hour=HH/."
  }

  assert {
    condition = (
      startswith(aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration[0].error_output_prefix, "raw/errors/")
      && strcontains(aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration[0].error_output_prefix, "!{firehose:error-output-type}")
    )
    error_message = "Firehose error output must go under raw/errors/ (outside raw/netflix/, which the transformer reads)."
  }

  assert {
    condition = (
      aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration[0].buffering_size == 5
      && aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration[0].buffering_interval == 60
    )
    error_message = "Firehose buffering must default to 5 MiB / 60 s."
  }

  assert {
    condition = (
      aws_kinesis_firehose_delivery_stream.raw.server_side_encryption[0].enabled
      && aws_kinesis_firehose_delivery_stream.raw.server_side_encryption[0].key_type == "CUSTOMER_MANAGED_CMK"
      && aws_kinesis_firehose_delivery_stream.raw.server_side_encryption[0].key_arn == aws_kms_key.lake.arn
    )
    error_message = "Firehose must encrypt with the StreamLake key."
  }

  assert {
    condition = (
      aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration[0].cloudwatch_logging_options[0].enabled
      && aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration[0].cloudwatch_logging_options[0].log_group_name == aws_cloudwatch_log_group.firehose.name
    )
    error_message = "Firehose delivery errors must be logged to CloudWatch."
  }
}

run "firehose_buffering_follows_variables" {
  command = plan

  variables {
    firehose_buffer_size_mib         = 64
    firehose_buffer_interval_seconds = 300
  }

  assert {
    condition = (
      aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration[0].buffering_size == 64
      && aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration[0].buffering_interval == 300
    )
    error_message = "The buffering variables must reach the stream."
  }
}

run "notifications_follow_the_design_prefixes" {
  command = plan

  assert {
    condition = jsonencode([for f in aws_s3_bucket_notification.raw.lambda_function : [f.lambda_function_arn, f.filter_prefix, f.filter_suffix, sort(f.events)]]) == jsonencode([
      ["arn:aws:lambda:us-east-1:123456789012:function:streamlake-transformer", "raw/netflix/", ".gz", ["s3:ObjectCreated:*"]],
      ["arn:aws:lambda:us-east-1:123456789012:function:streamlake-registrar", "quarantine/netflix/quarantine/", ".parquet", ["s3:ObjectCreated:*"]],
    ])
    error_message = "Raw bucket: raw/netflix/*.gz must invoke the transformer and quarantine/netflix/quarantine/*.parquet the registrar, nothing else."
  }

  assert {
    condition = jsonencode([for f in aws_s3_bucket_notification.processed.lambda_function : [f.lambda_function_arn, f.filter_prefix, f.filter_suffix, sort(f.events)]]) == jsonencode([
      ["arn:aws:lambda:us-east-1:123456789012:function:streamlake-registrar", "processed/netflix/processed_partitioned/", ".parquet", ["s3:ObjectCreated:*"]],
    ])
    error_message = "Processed bucket: processed/netflix/processed_partitioned/*.parquet must invoke the registrar, nothing else."
  }

  assert {
    condition = (
      aws_s3_bucket_notification.raw.bucket == aws_s3_bucket.raw.id
      && aws_s3_bucket_notification.processed.bucket == aws_s3_bucket.processed.id
    )
    error_message = "Each notification must be on its own bucket."
  }

  assert {
    # The registrar's filters are where the transformer writes the tables' files, as
    # glue_schema.json says (data_location; silver's Glue location is its manifest prefix).
    condition = (
      aws_s3_bucket_notification.processed.lambda_function[0].filter_prefix == local.parquet_tables["processed_netflix_events"].data_location
      && aws_s3_bucket_notification.raw.lambda_function[1].filter_prefix == local.parquet_tables["quarantined_netflix_events"].data_location
    )
    error_message = "The registrar's notification prefixes must equal the data locations in glue_schema.json."
  }

  assert {
    # Keys from the repository's S3 event fixtures: the raw object reaches the transformer,
    # silver and quarantine files reach the registrar, ledgers and the title file nothing; and
    # nothing the registrar or the gold refresh writes (compacted files, manifests, commit
    # states and logs, gold) invokes anything.
    condition = alltrue([
      for key, want in {
        "raw/netflix/ingest_year=2024/ingest_month=03/ingest_day=05/ingest_hour=12/streamlake-playback-1-2024-03-05-12-00-00-3f0c9a52-8d1e-4c6b-9a57-0e4d2b7c1a90.gz" = ["transformer"]
        "processed/netflix/processed_partitioned/event_date=2024-03-05/part-0f1e2d3c4b5a69788796a5b4c3d2e1f0.snappy.parquet"                                          = ["registrar"]
        "quarantine/netflix/quarantine/ingest_date=2024-03-05/part-0f1e2d3c4b5a69788796a5b4c3d2e1f0.snappy.parquet"                                                   = ["registrar"]
        "ledger/netflix/0f1e2d3c4b5a69788796a5b4c3d2e1f0.json"                                                                                                        = []
        "processed/netflix/netflix_titles/titles.snappy.parquet"                                                                                                      = []
        "processed/netflix/processed_compacted/event_date=2024-03-05/part-0f1e2d3c4b5a6978-0000.snappy.parquet"                                                       = []
        "processed/netflix/processed_manifests/event_date=2024-03-05/manifest"                                                                                        = []
        "processed/netflix/processed_commits/event_date=2024-03-05.json"                                                                                              = []
        "processed/netflix/processed_commit_log/event_date=2024-03-05/v00000007.json"                                                                                 = []
        "processed/netflix/processed_commit_log/event_date=2024-03-05/compaction-v00000007.json"                                                                      = []
        "gold/netflix/daily_title_engagement/unload/run-1/event_date=2024-03-05/20240305_000000_00000_abcde_0f1e2d3c.snappy.parquet"                                  = []
        "gold/netflix/manifests/daily_title_engagement/event_date=2024-03-05/manifest"                                                                                = []
        "gold/netflix/commits/daily_title_engagement/event_date=2024-03-05.json"                                                                                      = []
        "raw/errors/processing-failed/ingest_year=2024/ingest_month=03/ingest_day=05/ingest_hour=12/streamlake-playback-1-2024-03-05-12-00-00-x.gz"                   = []
        } : [
        for f in concat(aws_s3_bucket_notification.raw.lambda_function, aws_s3_bucket_notification.processed.lambda_function) :
        trimprefix(f.lambda_function_arn, "arn:aws:lambda:us-east-1:123456789012:function:streamlake-")
        if startswith(key, f.filter_prefix) && endswith(key, f.filter_suffix)
      ] == want
    ])
    error_message = "A DESIGN §3 key is routed to the wrong function."
  }

  assert {
    condition = jsonencode({ for k, p in aws_lambda_permission.s3_invoke : k => [p.principal, p.action, p.function_name, p.source_arn, p.source_account] }) == jsonencode({
      processed_to_registrar = ["s3.amazonaws.com", "lambda:InvokeFunction", "streamlake-registrar", local.bucket_arns.processed, "123456789012"]
      raw_to_registrar       = ["s3.amazonaws.com", "lambda:InvokeFunction", "streamlake-registrar", local.bucket_arns.raw, "123456789012"]
      raw_to_transformer     = ["s3.amazonaws.com", "lambda:InvokeFunction", "streamlake-transformer", local.bucket_arns.raw, "123456789012"]
    })
    error_message = "S3 may invoke only the notified functions, from its own buckets and account."
  }
}

run "lambdas_match_their_config_contracts" {
  command = plan

  assert {
    condition = alltrue([for fn, f in aws_lambda_function.this :
      f.runtime == "provided.al2023" && f.handler == "bootstrap" && f.architectures == tolist(["x86_64"])
      && f.function_name == "streamlake-${fn}" && f.kms_key_arn == aws_kms_key.lake.arn
      && f.tracing_config[0].mode == "Active" && f.role == aws_iam_role.lambda[fn].arn
    ])
    error_message = "Every function: provided.al2023, handler bootstrap, x86_64 by default, own role, KMS-encrypted environment, tracing."
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.this : f.filename == "tests/fixtures/bootstrap.zip" && f.source_code_hash == filebase64sha256("tests/fixtures/bootstrap.zip")])
    error_message = "The zip comes from lambda_zips, with its source_code_hash."
  }

  assert {
    condition = aws_lambda_function.this["generator"].environment[0].variables == tomap({
      FIREHOSE_STREAM_NAME = "streamlake-playback"
      PACK_BYTES           = "5000"
      DEFAULT_EVENTS       = "10000"
      DEFAULT_DAYS         = "1"
      MAX_EVENTS           = "2000000"
      PROCESSED_BUCKET     = "streamlake-processed-123456789012-us-east-1"
    })
    error_message = "Generator environment must match its Config::from_env()."
  }

  assert {
    condition = aws_lambda_function.this["transformer"].environment[0].variables == tomap({
      RAW_BUCKET             = "streamlake-raw-123456789012-us-east-1"
      PROCESSED_BUCKET       = "streamlake-processed-123456789012-us-east-1"
      STAGING_DIR            = "/tmp/streamlake-staging"
      MAX_CLOCK_SKEW_SECONDS = "3600"
      MAX_EVENT_AGE_DAYS     = "30"
    })
    error_message = "Transformer environment must match its Config::from_env()."
  }

  assert {
    condition = aws_lambda_function.this["registrar"].environment[0].variables == tomap({
      RAW_BUCKET                = "streamlake-raw-123456789012-us-east-1"
      PROCESSED_BUCKET          = "streamlake-processed-123456789012-us-east-1"
      GLUE_DATABASE             = "netflix-streams-aws"
      GRACE_SECONDS             = "3600"
      COMPACTION_TARGET_FILE_MB = "128"
    })
    error_message = "Registrar environment must match its Config::from_env() (GRACE_SECONDS and COMPACTION_TARGET_FILE_MB for compaction and garbage collection)."
  }

  assert {
    condition = aws_lambda_function.this["query-runner"].environment[0].variables == tomap({
      ATHENA_WORKGROUP       = "streamlake"
      GLUE_DATABASE          = "netflix-streams-aws"
      ATHENA_OUTPUT_LOCATION = "s3://streamlake-athena-results-123456789012-us-east-1/results/"
      QUERY_TIMEOUT_SECONDS  = "240"
      MAX_RESULT_ROWS        = "10000"
      PROCESSED_BUCKET       = "streamlake-processed-123456789012-us-east-1"
    })
    error_message = "Query-runner environment must match its Config::from_env()."
  }

  assert {
    condition = (
      aws_lambda_function.this["query-runner"].timeout > tonumber(aws_lambda_function.this["query-runner"].environment[0].variables.QUERY_TIMEOUT_SECONDS)
      && aws_lambda_function.this["query-runner"].environment[0].variables.ATHENA_OUTPUT_LOCATION == aws_athena_workgroup.lake.configuration[0].result_configuration[0].output_location
      && aws_lambda_function.this["query-runner"].environment[0].variables.ATHENA_WORKGROUP == aws_athena_workgroup.lake.name
    )
    error_message = "The query-runner must time out after its query timeout, in the workgroup, writing where the workgroup does."
  }

  assert {
    condition = jsonencode({ for fn, f in aws_lambda_function.this : fn => [f.memory_size, f.timeout, f.ephemeral_storage[0].size, f.reserved_concurrent_executions] }) == jsonencode({
      generator    = [512, 900, 512, 1]
      query-runner = [256, 300, 512, 2]
      registrar    = [1769, 900, 512, 2]
      transformer  = [1024, 300, 1024, 10]
    })
    error_message = "Memory, timeout, /tmp and reserved concurrency must be the sized, documented values."
  }

  assert {
    condition = alltrue([for fn, g in aws_cloudwatch_log_group.lambda :
      g.name == "/aws/lambda/streamlake-${fn}" && g.kms_key_id == aws_kms_key.lake.arn && g.retention_in_days == 365
    ])
    error_message = "Each function logs to its own encrypted, retained log group."
  }
}

run "architecture_and_concurrency_are_variables" {
  command = plan

  variables {
    lambda_architecture = "arm64"
    reserved_concurrency = {
      generator      = -1
      transformer    = 50
      registrar      = 5
      "query-runner" = 3
    }
    query_timeout_seconds = 600
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.this : f.architectures == tolist(["arm64"])])
    error_message = "lambda_architecture must reach every function."
  }

  assert {
    condition = (
      aws_lambda_function.this["transformer"].reserved_concurrent_executions == 50
      && aws_lambda_function.this["generator"].reserved_concurrent_executions == -1
    )
    error_message = "reserved_concurrency must reach the functions."
  }

  assert {
    condition     = aws_lambda_function.this["query-runner"].timeout == 660 && aws_lambda_function.this["query-runner"].environment[0].variables.QUERY_TIMEOUT_SECONDS == "600"
    error_message = "The query-runner's function timeout follows its query timeout."
  }
}

run "registrar_settings_are_variables" {
  command = plan

  variables {
    registrar_memory_mb       = 3008
    registrar_timeout_seconds = 600
    gc_grace_seconds          = 7200
    compaction_target_file_mb = 256
  }

  assert {
    condition = (
      aws_lambda_function.this["registrar"].memory_size == 3008
      && aws_lambda_function.this["registrar"].timeout == 600
      && aws_lambda_function.this["registrar"].environment[0].variables.GRACE_SECONDS == "7200"
      && aws_lambda_function.this["registrar"].environment[0].variables.COMPACTION_TARGET_FILE_MB == "256"
    )
    error_message = "registrar_memory_mb, registrar_timeout_seconds, gc_grace_seconds and compaction_target_file_mb must reach the registrar."
  }
}

run "grace_period_must_be_positive" {
  command = plan

  variables {
    gc_grace_seconds = 0
  }

  expect_failures = [var.gc_grace_seconds]
}

run "compaction_target_is_what_the_registrar_accepts" {
  command = plan

  variables {
    compaction_target_file_mb = 8192
  }

  expect_failures = [var.compaction_target_file_mb]
}

run "registrar_timeout_is_at_most_lambdas" {
  command = plan

  variables {
    registrar_timeout_seconds = 901
  }

  expect_failures = [var.registrar_timeout_seconds]
}

run "architecture_must_be_known" {
  command = plan

  variables {
    lambda_architecture = "aarch64"
  }

  expect_failures = [var.lambda_architecture]
}

run "the_zips_default_to_scripts_package_output" {
  command = plan

  assert {
    condition = local.default_lambda_zips == {
      generator      = "./../target/lambda/generator/bootstrap.zip"
      transformer    = "./../target/lambda/transformer/bootstrap.zip"
      registrar      = "./../target/lambda/registrar/bootstrap.zip"
      "query-runner" = "./../target/lambda/query-runner/bootstrap.zip"
    }
    error_message = "Without lambda_zips, each zip must be scripts/package's output."
  }
}

run "a_missing_zip_fails_the_plan_clearly" {
  command = plan

  variables {
    lambda_zips = { transformer = "tests/fixtures/no-such.zip" }
  }

  expect_failures = [aws_lambda_function.this]
}

run "async_failures_go_to_an_encrypted_14_day_queue" {
  command = plan

  assert {
    condition = (
      aws_sqs_queue.lambda_failures.message_retention_seconds == 1209600
      && aws_sqs_queue.lambda_failures.kms_master_key_id == aws_kms_key.lake.arn
    )
    error_message = "The on-failure queue must be KMS-encrypted and keep messages 14 days."
  }

  assert {
    condition = length(aws_lambda_function_event_invoke_config.this) == 4 && alltrue([for c in aws_lambda_function_event_invoke_config.this :
      c.maximum_retry_attempts == 2 && c.maximum_event_age_in_seconds == 21600
      && c.destination_config[0].on_failure[0].destination == aws_sqs_queue.lambda_failures.arn
    ])
    error_message = "Every function: bounded async retries and event age, then the on-failure queue."
  }
}

run "schedules_default" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_event_rule.generator.state == "DISABLED"
      && aws_cloudwatch_event_rule.generator.schedule_expression == "rate(15 minutes)"
      && aws_cloudwatch_event_target.generator.arn == "arn:aws:lambda:us-east-1:123456789012:function:streamlake-generator"
      && aws_cloudwatch_event_target.generator.input == "{}"
    )
    error_message = "The generator schedule is off by default, every 15 minutes, with the payload {} (the generator rejects unknown fields)."
  }

  assert {
    condition = (
      aws_cloudwatch_event_rule.gold_refresh.state == "ENABLED"
      && aws_cloudwatch_event_rule.gold_refresh.schedule_expression == "cron(15 1 * * ? *)"
      && aws_cloudwatch_event_target.gold_refresh.arn == "arn:aws:lambda:us-east-1:123456789012:function:streamlake-query-runner"
      && jsondecode(aws_cloudwatch_event_target.gold_refresh.input) == { refresh_gold = true, open_day = false }
    )
    error_message = "The incremental gold refresh is on by default and runs daily at 01:15 UTC in the query-runner with {\"refresh_gold\": true, \"open_day\": false}."
  }

  assert {
    condition = (
      aws_cloudwatch_event_rule.compaction.name == "streamlake-compaction"
      && aws_cloudwatch_event_rule.compaction.state == "ENABLED"
      && aws_cloudwatch_event_rule.compaction.schedule_expression == "rate(1 hour)"
      && aws_cloudwatch_event_target.compaction.rule == aws_cloudwatch_event_rule.compaction.name
      && aws_cloudwatch_event_target.compaction.arn == "arn:aws:lambda:us-east-1:123456789012:function:streamlake-registrar"
      && aws_cloudwatch_event_target.compaction.input == "{\"compact\":{}}"
    )
    error_message = "Compaction is on by default: hourly, {\"compact\": {}} to the registrar (every partition due)."
  }

  assert {
    condition = jsonencode({ for k, p in aws_lambda_permission.events_invoke : k => [p.principal, p.action, p.function_name, p.source_arn, p.source_account] }) == jsonencode({
      generator    = ["events.amazonaws.com", "lambda:InvokeFunction", "streamlake-generator", aws_cloudwatch_event_rule.generator.arn, "123456789012"]
      query-runner = ["events.amazonaws.com", "lambda:InvokeFunction", "streamlake-query-runner", aws_cloudwatch_event_rule.gold_refresh.arn, "123456789012"]
      registrar    = ["events.amazonaws.com", "lambda:InvokeFunction", "streamlake-registrar", aws_cloudwatch_event_rule.compaction.arn, "123456789012"]
    })
    error_message = "Each schedule may invoke only its own function."
  }
}

run "schedules_switch" {
  command = plan

  variables {
    generator_schedule_enabled    = true
    generator_schedule_minutes    = 1
    gold_refresh_schedule_enabled = false
    enable_compaction             = false
    compaction_schedule           = "cron(15 * * * ? *)"
  }

  assert {
    condition = (
      aws_cloudwatch_event_rule.generator.state == "ENABLED"
      && aws_cloudwatch_event_rule.generator.schedule_expression == "rate(1 minute)"
      && aws_cloudwatch_event_rule.gold_refresh.state == "DISABLED"
      && aws_cloudwatch_event_rule.compaction.state == "DISABLED"
      && aws_cloudwatch_event_rule.compaction.schedule_expression == "cron(15 * * * ? *)"
    )
    error_message = "The schedule variables must switch the generator rule on and the gold refresh and compaction off (and rate(1 minute) is singular)."
  }
}

run "compaction_schedule_must_be_an_expression" {
  command = plan

  variables {
    compaction_schedule = "every hour"
  }

  expect_failures = [var.compaction_schedule]
}
