# The gold layer on AWS: the seven gold tables of docs/data_model.md (columns, partition key,
# symlink manifests under gold/netflix/manifests/<table>/ in the processed bucket), the
# pipeline_ledgers table they are partly built from, and what the query-runner's refresh_gold
# needs: PROCESSED_BUCKET, the IAM to UNLOAD into gold/netflix/<table>/unload/<run>/, commit
# each day and register its partition (and no delete: garbage collection is the registrar's),
# and the daily schedule (on by default). The expected tables are written out here,
# independently of glue_schema.json, so a change to either the Rust specs or the JSON that
# drifts from the contract fails.

mock_provider "aws" {
  source = "./tests/mocks"

  # Distinct ARNs, so wiring the schedule to the wrong function or rule is visible.
  override_resource {
    target          = aws_lambda_function.this["generator"]
    override_during = plan
    values          = { arn = "arn:aws:lambda:us-east-1:123456789012:function:streamlake-generator" }
  }
  override_resource {
    target          = aws_lambda_function.this["query-runner"]
    override_during = plan
    values          = { arn = "arn:aws:lambda:us-east-1:123456789012:function:streamlake-query-runner" }
  }
  override_resource {
    target          = aws_cloudwatch_event_rule.gold_refresh
    override_during = plan
    values          = { arn = "arn:aws:events:us-east-1:123456789012:rule/streamlake-gold-refresh" }
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

run "gold_tables_follow_the_contract" {
  command = plan

  variables {
    # The gold tables of docs/data_model.md, table by table: columns (name type, in order) and the partition
    # column (always string, the last output column of the gold query).
    expected_gold = {
      daily_title_engagement = {
        columns   = ["title_id string", "title_name string", "plays bigint", "hours_viewed double", "views double", "unique_profiles bigint"]
        partition = "event_date"
      }
      daily_engagement_by_country_device = {
        columns   = ["country string", "device_type string", "plays bigint", "sessions bigint", "hours_viewed double"]
        partition = "event_date"
      }
      daily_playback_quality = {
        columns = [
          "country string", "device_type string", "sessions bigint", "playing_hours double", "rebuffer_hours double",
          "rebuffer_ratio double", "error_sessions bigint", "error_sessions_per_1000 double", "ttfh_median_s bigint", "ttfh_p95_s bigint",
        ]
        partition = "event_date"
      }
      daily_ttfh_distribution = {
        columns   = ["country string", "device_type string", "ttfh_s bigint", "sessions bigint"]
        partition = "event_date"
      }
      daily_event_types = {
        columns   = ["event_type string", "events bigint"]
        partition = "event_date"
      }
      daily_data_quality = {
        columns   = ["raw_objects bigint", "records_in bigint", "written bigint", "quarantined bigint", "duplicates_dropped bigint", "rejection_rate double"]
        partition = "ingest_date"
      }
      daily_quarantine_reasons = {
        columns   = ["reason_code string", "quarantined bigint"]
        partition = "ingest_date"
      }
    }
  }

  assert {
    condition     = alltrue([for name, _ in var.expected_gold : contains(keys(aws_glue_catalog_table.parquet), name)])
    error_message = "Every gold table of the contract must be a Glue table."
  }

  assert {
    condition = alltrue([for name, t in var.expected_gold :
      [for c in aws_glue_catalog_table.parquet[name].storage_descriptor[0].columns : "${c.name} ${c.type}"] == t.columns
    ])
    error_message = "A gold table's columns (names, types, order) differ from docs/data_model.md."
  }

  assert {
    condition = alltrue([for name, t in var.expected_gold :
      jsonencode([for k in aws_glue_catalog_table.parquet[name].partition_keys : { name = k.name, type = k.type }]) == jsonencode([{ name = t.partition, type = "string" }])
    ])
    error_message = "Each gold table is partitioned by exactly one string date column (event_date, or ingest_date for the data-quality tables)."
  }

  assert {
    # The Glue location is the table's manifest prefix; a day's partition location is
    # gold/netflix/manifests/<table>/<key>=<day>/, holding its manifest.
    condition = alltrue([for name, _ in var.expected_gold :
      aws_glue_catalog_table.parquet[name].storage_descriptor[0].location == "s3://streamlake-processed-123456789012-us-east-1/gold/netflix/manifests/${name}/"
      && aws_glue_catalog_table.parquet[name].storage_descriptor[0].input_format == "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"
      && aws_glue_catalog_table.parquet[name].storage_descriptor[0].output_format == "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    ])
    error_message = "Gold tables are symlink tables at s3://<processed bucket>/gold/netflix/manifests/<table>/."
  }

  assert {
    # Their files: UNLOAD output under gold/netflix/<table>/unload/<run>/, which the
    # query-runner may write and the registrar may garbage-collect (gold_unload_keys).
    condition = alltrue([for name, _ in var.expected_gold :
      local.parquet_tables[name].data_location == "gold/netflix/${name}/"
      && length(regexall("^gold/netflix/[^/]+/unload/.+$", "${local.parquet_tables[name].data_location}unload/run-1/x")) == 1
    ]) && local.gold_unload_keys == "gold/netflix/*/unload/*"
    error_message = "Gold data lives under gold/netflix/<table>/ (UNLOAD into gold/netflix/<table>/unload/<run>/)."
  }

  assert {
    condition = alltrue([for name, _ in var.expected_gold :
      aws_glue_catalog_table.parquet[name].table_type == "EXTERNAL_TABLE"
      && aws_glue_catalog_table.parquet[name].parameters["classification"] == "parquet"
      && aws_glue_catalog_table.parquet[name].parameters["parquet.compression"] == "SNAPPY"
      && aws_glue_catalog_table.parquet[name].storage_descriptor[0].ser_de_info[0].serialization_library == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      # Partitions are registered by the refresh (ALTER TABLE ADD PARTITION), not projected.
      && !contains(keys(aws_glue_catalog_table.parquet[name].parameters), "projection.enabled")
    ])
    error_message = "Gold tables are external Snappy Parquet tables without partition projection."
  }

  assert {
    # glue_schema.json lists silver, quarantine and titles, then gold in GOLD_TABLES (refresh) order.
    condition = [for t in local.glue_schema.tables : t.name] == [
      "processed_netflix_events", "quarantined_netflix_events", "netflix_titles",
      "daily_title_engagement", "daily_engagement_by_country_device", "daily_playback_quality",
      "daily_ttfh_distribution", "daily_event_types", "daily_data_quality", "daily_quarantine_reasons",
    ]
    error_message = "glue_schema.json must list the tables in PARQUET_TABLES order (as `streamlake schema --format glue` prints them)."
  }

  assert {
    condition     = local.gold_tables == sort(keys(var.expected_gold))
    error_message = "local.gold_tables (what the gold IAM is scoped to) must be exactly the seven gold tables."
  }

  assert {
    # The hand-written Athena DDL says the same location, storage and partition column.
    condition = alltrue([for name, t in var.expected_gold :
      strcontains(file("../sql/ddl/${name}.sql"), "PARTITIONED BY (${t.partition} string)")
      && strcontains(file("../sql/ddl/${name}.sql"), "STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'")
      && strcontains(file("../sql/ddl/${name}.sql"), "LOCATION 's3://$${processed_bucket}/gold/netflix/manifests/${name}/'")
    ])
    error_message = "sql/ddl/<gold table>.sql must partition by the contract's column and be a symlink table at gold/netflix/manifests/<table>/ in the processed bucket."
  }
}

run "gold_has_no_projection_even_when_silver_does" {
  command = plan

  variables {
    enable_partition_projection = true
  }

  assert {
    condition = alltrue([for name in local.gold_tables :
      !contains(keys(aws_glue_catalog_table.parquet[name].parameters), "projection.enabled")
    ]) && aws_glue_catalog_table.parquet["processed_netflix_events"].parameters["projection.enabled"] == "true"
    error_message = "enable_partition_projection projects silver only: gold partitions are registered by the refresh (ALTER TABLE ADD PARTITION)."
  }
}

run "ledger_table" {
  command = plan

  assert {
    condition = (
      aws_glue_catalog_table.ledgers.name == "pipeline_ledgers"
      && aws_glue_catalog_table.ledgers.database_name == "netflix-streams-aws"
      && aws_glue_catalog_table.ledgers.table_type == "EXTERNAL_TABLE"
      && aws_glue_catalog_table.ledgers.storage_descriptor[0].location == "s3://streamlake-raw-123456789012-us-east-1/ledger/netflix/"
      && aws_glue_catalog_table.ledgers.storage_descriptor[0].ser_de_info[0].serialization_library == "org.openx.data.jsonserde.JsonSerDe"
      && length(aws_glue_catalog_table.ledgers.partition_keys) == 0
    )
    error_message = "pipeline_ledgers: unpartitioned OpenX JSON at s3://<raw bucket>/ledger/netflix/ (ledgers live in the raw bucket)."
  }

  assert {
    condition = [for c in aws_glue_catalog_table.ledgers.storage_descriptor[0].columns : "${c.name} ${c.type}"] == [
      "source string", "records_in bigint", "written bigint", "quarantined bigint", "duplicates_dropped bigint",
      "digest string", "source_etag string", "bytes_in bigint", "ingest_timestamp string",
    ]
    error_message = "pipeline_ledgers columns must be the contract's (and sql/ddl/pipeline_ledgers.sql's)."
  }
}

run "query_runner_can_refresh_gold" {
  command = plan

  assert {
    condition     = aws_lambda_function.this["query-runner"].environment[0].variables["PROCESSED_BUCKET"] == "streamlake-processed-123456789012-us-east-1"
    error_message = "refresh_gold needs PROCESSED_BUCKET (where gold/netflix/ lives)."
  }

  assert {
    condition = jsonencode([for s in jsondecode(aws_iam_role_policy.lambda["query-runner"].policy).Statement :
      [s.Sid, sort(flatten([s.Action])), sort(flatten([s.Resource]))] if contains(["UnloadGold", "CommitGold", "ReadSilverCommitStates"], s.Sid)
      ]) == jsonencode([
      ["ReadSilverCommitStates", ["s3:GetObject"], ["arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_commits/*"]],
      ["UnloadGold", ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"],
      ["arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/*/unload/*"]],
      ["CommitGold", ["s3:GetObject", "s3:PutObject"], [
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/commit_log/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/commits/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/manifests/*",
      ]],
    ])
    error_message = "refresh_gold: Athena's UNLOAD writes (and the refresh reads) gold/netflix/<table>/unload/; the refresh commits gold states, manifests and logs and reads silver commit states (lineage)."
  }

  assert {
    # The refresh never deletes: a day's old files are removed by its commit and deleted by
    # the registrar's garbage collection after the grace period.
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.lambda["query-runner"].policy).Statement :
      !contains(flatten([s.Action]), "s3:DeleteObject")
    ])
    error_message = "The query-runner may not delete objects (the INSERT INTO refresh that cleared days is gone)."
  }

  assert {
    condition = jsonencode([for s in jsondecode(aws_iam_role_policy.lambda["query-runner"].policy).Statement :
      [sort(flatten([s.Action])), sort(flatten([s.Resource]))] if s.Sid == "AddGoldPartitions"
      ]) == jsonencode([[
        ["glue:BatchCreatePartition", "glue:CreatePartition"],
        concat(
          ["arn:aws:glue:us-east-1:123456789012:catalog", "arn:aws:glue:us-east-1:123456789012:database/netflix-streams-aws"],
          [for t in local.gold_tables : "arn:aws:glue:us-east-1:123456789012:table/netflix-streams-aws/${t}"],
        ),
    ]])
    error_message = "ALTER TABLE ... ADD IF NOT EXISTS PARTITION may add (never update) partitions of the gold tables only."
  }

  assert {
    # Catalog writes: gold tables only; every other table is read-only for the query-runner.
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.lambda["query-runner"].policy).Statement :
      alltrue([for r in flatten([s.Resource]) :
        !strcontains(r, ":table/") || contains([for t in local.gold_tables : "arn:aws:glue:us-east-1:123456789012:table/netflix-streams-aws/${t}"], r)
      ])
      if anytrue([for a in flatten([s.Action]) : startswith(a, "glue:") && !startswith(a, "glue:Get") && !startswith(a, "glue:BatchGet")])
    ])
    error_message = "The query-runner may change the partitions of gold tables only."
  }

  assert {
    # S3 writes: gold UNLOAD output, gold commits, and Athena results; nothing else (not
    # silver, its commits, quarantine or ledgers).
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.lambda["query-runner"].policy).Statement :
      flatten([s.Resource])
      if anytrue([for a in flatten([s.Action]) : contains(["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"], a)])
      ])) == toset([
      "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/*/unload/*",
      "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/commits/*",
      "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/manifests/*",
      "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/commit_log/*",
      "arn:aws:s3:::streamlake-athena-results-123456789012-us-east-1/results/*",
    ])
    error_message = "The query-runner may write only gold (UNLOAD output, commits) and Athena results."
  }

  assert {
    # Athena reads a symlink table's manifests AND the files they list, with the caller's
    # credentials: silver (manifests, appended and compacted files) and gold (manifests,
    # UNLOAD output); the gold SQL also reads titles, quarantine and the ledgers.
    condition = alltrue([for r in [
      "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_manifests/*",
      "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_partitioned/*",
      "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_compacted/*",
      "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/manifests/*",
      "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/*/unload/*",
      "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/netflix_titles/*",
      "arn:aws:s3:::streamlake-raw-123456789012-us-east-1/quarantine/netflix/quarantine/*",
      "arn:aws:s3:::streamlake-raw-123456789012-us-east-1/ledger/netflix/*",
      ] : anytrue([for s in jsondecode(aws_iam_role_policy.lambda["query-runner"].policy).Statement :
        contains(flatten([s.Action]), "s3:GetObject") && contains(flatten([s.Resource]), r)
    ])])
    error_message = "The query-runner must read the symlink tables' manifests and data files (silver and gold), titles, quarantine and the ledgers."
  }

  assert {
    # Listing is prefix-scoped per bucket: what Athena lists (table and partition locations,
    # the UNLOAD destination it checks is empty), and the gold commit states and logs.
    condition = jsonencode([for s in jsondecode(aws_iam_role_policy.lambda["query-runner"].policy).Statement :
      [flatten([s.Resource])[0], jsonencode(s.Condition)]
      if contains(flatten([s.Action]), "s3:ListBucket") && try(s.Condition, null) != null
      ]) == jsonencode([
      ["arn:aws:s3:::streamlake-processed-123456789012-us-east-1", jsonencode({ StringLike = { "s3:prefix" = [
        "processed/netflix/processed_manifests/*", "processed/netflix/netflix_titles/*", "gold/netflix/manifests/*", "gold/netflix/*/unload/*",
      ] } })],
      ["arn:aws:s3:::streamlake-raw-123456789012-us-east-1", jsonencode({ StringLike = { "s3:prefix" = ["quarantine/netflix/quarantine/*", "ledger/netflix/*"] } })],
      ["arn:aws:s3:::streamlake-processed-123456789012-us-east-1", jsonencode({ StringLikeIfExists = { "s3:prefix" = ["gold/netflix/commits/*", "gold/netflix/commit_log/*"] } })],
    ])
    error_message = "The query-runner lists only the table locations, the UNLOAD destinations and the gold commits of the processed bucket, and the table prefixes of the raw bucket."
  }

  assert {
    condition = jsonencode([for s in jsondecode(aws_iam_role_policy.lambda["query-runner"].policy).Statement : s.Condition
      if s.Sid == "EncryptWithLakeKeyViaServices"
    ]) == jsonencode([{ StringEquals = { "kms:ViaService" = ["s3.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"] } }])
    error_message = "Gold objects are SSE-KMS with the lake key: the query-runner needs data keys via S3."
  }
}

run "gold_refresh_is_scheduled_by_default" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_event_rule.gold_refresh.state == "ENABLED"
      && aws_cloudwatch_event_rule.gold_refresh.schedule_expression == "cron(15 1 * * ? *)"
      && aws_cloudwatch_event_target.gold_refresh.arn == "arn:aws:lambda:us-east-1:123456789012:function:streamlake-query-runner"
      && jsondecode(aws_cloudwatch_event_target.gold_refresh.input) == { refresh_gold = true, open_day = false }
      && aws_lambda_permission.events_invoke["query-runner"].source_arn == "arn:aws:events:us-east-1:123456789012:rule/streamlake-gold-refresh"
    )
    error_message = "The daily incremental gold refresh ({\"refresh_gold\": true, \"open_day\": false} to the query-runner) is on by default."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.gold_refresh_failed_invocations) == 1 && aws_cloudwatch_metric_alarm.lambda["query-runner-errors"].dimensions == tomap({ FunctionName = "streamlake-query-runner" })
    error_message = "A failing refresh alarms: the query-runner's Errors alarm, and EventBridge FailedInvocations of the rule."
  }
}

run "gold_refresh_can_be_switched_off" {
  command = plan

  variables {
    gold_refresh_schedule_enabled = false
  }

  assert {
    condition     = aws_cloudwatch_event_rule.gold_refresh.state == "DISABLED" && length(aws_cloudwatch_metric_alarm.gold_refresh_failed_invocations) == 0
    error_message = "gold_refresh_schedule_enabled = false disables the rule (and its failed-invocations alarm)."
  }
}

run "gold_refresh_can_include_the_open_day" {
  command = plan

  variables {
    gold_refresh_open_day = true
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_target.gold_refresh.input) == { refresh_gold = true, open_day = true }
    error_message = "gold_refresh_open_day = true asks every scheduled refresh to include today."
  }
}
