# Glue tables equal the schemas the Rust code writes (glue_schema.json, itself checked against
# `streamlake schema --format glue` by scripts/test-infra) and the Athena DDL in sql/ddl/;
# the Data Quality ruleset mirrors the transformer's rules; Athena cannot run away.

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

run "glue_tables_equal_the_written_schemas" {
  command = plan

  assert {
    condition     = aws_glue_catalog_database.lake.name == "netflix-streams-aws" && jsondecode(file("glue_schema.json")).database == "netflix-streams-aws"
    error_message = "The database must be netflix-streams-aws (DESIGN §4)."
  }

  assert {
    condition = (
      toset(keys(aws_glue_catalog_table.parquet)) == toset([
        "processed_netflix_events", "quarantined_netflix_events", "netflix_titles",
        "daily_title_engagement", "daily_engagement_by_country_device", "daily_playback_quality",
        "daily_ttfh_distribution", "daily_event_types", "daily_data_quality", "daily_quarantine_reasons",
      ])
      && aws_glue_catalog_table.raw.name == "raw_netflix_events"
      && aws_glue_catalog_table.ledgers.name == "pipeline_ledgers"
    )
    error_message = "The four tables of DESIGN §4, the seven gold tables and pipeline_ledgers must exist."
  }

  assert {
    # Column for column, type for type, in order: the Terraform tables and the JSON.
    condition = alltrue([for t in jsondecode(file("glue_schema.json")).tables :
      jsonencode([for c in aws_glue_catalog_table.parquet[t.name].storage_descriptor[0].columns : { name = c.name, type = c.type }]) == jsonencode(t.columns)
    ])
    error_message = "A Glue table's columns differ from glue_schema.json (the Arrow schemas the transformer writes)."
  }

  assert {
    condition = alltrue([for t in jsondecode(file("glue_schema.json")).tables :
      jsonencode([for k in aws_glue_catalog_table.parquet[t.name].partition_keys : { name = k.name, type = k.type }]) == jsonencode(t.partition_keys)
    ])
    error_message = "A Glue table's partition keys differ from glue_schema.json."
  }

  assert {
    condition = (
      aws_glue_catalog_table.parquet["processed_netflix_events"].storage_descriptor[0].location == "s3://streamlake-processed-123456789012-us-east-1/processed/netflix/processed_partitioned/"
      && aws_glue_catalog_table.parquet["quarantined_netflix_events"].storage_descriptor[0].location == "s3://streamlake-raw-123456789012-us-east-1/quarantine/netflix/quarantine/"
      && aws_glue_catalog_table.parquet["netflix_titles"].storage_descriptor[0].location == "s3://streamlake-processed-123456789012-us-east-1/processed/netflix/netflix_titles/"
      && aws_glue_catalog_table.raw.storage_descriptor[0].location == "s3://streamlake-raw-123456789012-us-east-1/raw/netflix/"
    )
    error_message = "Table locations must be the DESIGN §3 prefixes in the right buckets (quarantine lives with bronze)."
  }

  assert {
    condition = alltrue([for t in aws_glue_catalog_table.parquet :
      t.table_type == "EXTERNAL_TABLE"
      && t.storage_descriptor[0].ser_de_info[0].serialization_library == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      && t.storage_descriptor[0].input_format == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
      && t.parameters["parquet.compression"] == "SNAPPY" && t.parameters["classification"] == "parquet"
    ])
    error_message = "The Parquet tables must be external Snappy Parquet."
  }

  assert {
    # The Athena DDL in sql/ddl/ (used to create the tables by hand) says the same.
    condition = alltrue([for name, t in aws_glue_catalog_table.parquet :
      jsonencode([for m in regexall("(?m)^  (\\w+) (\\w+),?$", file("../sql/ddl/${name}.sql")) : { name = m[0], type = m[1] }])
      == jsonencode([for c in t.storage_descriptor[0].columns : { name = c.name, type = c.type }])
    ])
    error_message = "sql/ddl/<table>.sql and the Glue table (glue_schema.json) disagree on the columns."
  }

  assert {
    condition = jsonencode([for c in aws_glue_catalog_table.raw.storage_descriptor[0].columns : { name = c.name, type = c.type }]) == jsonencode(
      [for m in regexall("(?m)^  (\\w+) (\\w+),?$", file("../sql/ddl/raw_netflix_events.sql")) : { name = m[0], type = m[1] }]
    )
    error_message = "raw_netflix_events columns must match sql/ddl/raw_netflix_events.sql."
  }

  assert {
    condition = jsonencode([for c in aws_glue_catalog_table.ledgers.storage_descriptor[0].columns : { name = c.name, type = c.type }]) == jsonencode(
      [for m in regexall("(?m)^  (\\w+) (\\w+),?$", file("../sql/ddl/pipeline_ledgers.sql")) : { name = m[0], type = m[1] }]
    )
    error_message = "pipeline_ledgers columns must match sql/ddl/pipeline_ledgers.sql."
  }

  assert {
    condition = (
      aws_glue_catalog_table.ledgers.storage_descriptor[0].location == "s3://streamlake-raw-123456789012-us-east-1/ledger/netflix/"
      && aws_glue_catalog_table.ledgers.storage_descriptor[0].ser_de_info[0].serialization_library == "org.openx.data.jsonserde.JsonSerDe"
      && aws_glue_catalog_table.ledgers.storage_descriptor[0].input_format == "org.apache.hadoop.mapred.TextInputFormat"
      && aws_glue_catalog_table.ledgers.storage_descriptor[0].compressed == false
      && length(aws_glue_catalog_table.ledgers.partition_keys) == 0
      && aws_glue_catalog_table.ledgers.parameters["classification"] == "json"
      && strcontains(file("../sql/ddl/pipeline_ledgers.sql"), "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'")
      && strcontains(file("../sql/ddl/pipeline_ledgers.sql"), "LOCATION 's3://$${raw_bucket}/ledger/netflix/'")
    )
    error_message = "pipeline_ledgers is unpartitioned, uncompressed JSON (OpenX SerDe) at ledger/netflix/ in the raw bucket, as its DDL says."
  }

  assert {
    condition = (
      aws_glue_catalog_table.raw.storage_descriptor[0].ser_de_info[0].serialization_library == "org.openx.data.jsonserde.JsonSerDe"
      && [for k in aws_glue_catalog_table.raw.partition_keys : k.name] == ["ingest_year", "ingest_month", "ingest_day", "ingest_hour"]
      && aws_glue_catalog_table.raw.parameters["projection.enabled"] == "true"
      && aws_glue_catalog_table.raw.parameters["storage.location.template"] == "s3://streamlake-raw-123456789012-us-east-1/raw/netflix/ingest_year=$${ingest_year}/ingest_month=$${ingest_month}/ingest_day=$${ingest_day}/ingest_hour=$${ingest_hour}/"
    )
    error_message = "raw_netflix_events is JSON, partitioned by the Firehose prefix, with projection over it."
  }
}

run "partition_projection_is_off_by_default" {
  command = plan

  assert {
    condition     = !contains(keys(aws_glue_catalog_table.parquet["processed_netflix_events"].parameters), "projection.enabled")
    error_message = "Partition projection must be off by default: the registrar registers partitions."
  }
}

run "partition_projection_can_be_switched_on" {
  command = plan

  variables {
    enable_partition_projection = true
  }

  assert {
    condition = (
      aws_glue_catalog_table.parquet["processed_netflix_events"].parameters["projection.enabled"] == "true"
      && aws_glue_catalog_table.parquet["processed_netflix_events"].parameters["projection.event_date.type"] == "date"
      && aws_glue_catalog_table.parquet["processed_netflix_events"].parameters["projection.event_date.format"] == "yyyy-MM-dd"
      && aws_glue_catalog_table.parquet["processed_netflix_events"].parameters["storage.location.template"] == "s3://streamlake-processed-123456789012-us-east-1/processed/netflix/processed_partitioned/event_date=$${event_date}/"
    )
    error_message = "enable_partition_projection must project event_date over the silver layout."
  }

  assert {
    condition     = !contains(keys(aws_glue_catalog_table.parquet["quarantined_netflix_events"].parameters), "projection.enabled")
    error_message = "Only processed_netflix_events gets event_date projection."
  }
}

run "data_quality_ruleset_mirrors_the_transformer" {
  command = plan

  assert {
    condition = (
      aws_glue_data_quality_ruleset.processed.target_table[0].database_name == "netflix-streams-aws"
      && aws_glue_data_quality_ruleset.processed.target_table[0].table_name == "processed_netflix_events"
    )
    error_message = "The ruleset must target processed_netflix_events."
  }

  assert {
    condition = alltrue([for rule in concat(
      [for c in ["event_id", "user_id", "profile_id", "title_id", "session_id", "event_type", "device_type", "country", "event_ts", "event_timestamp"] : "IsComplete \"${c}\""],
      [
        "IsUnique \"event_id\"",
        "ColumnValues \"event_type\" in [\"PLAY_START\",\"PLAY_STOP\",\"PAUSE\",\"RESUME\",\"SEEK\",\"HEARTBEAT\",\"REBUFFER_START\",\"REBUFFER_END\",\"PLAYBACK_ERROR\"]",
        "ColumnValues \"device_type\" in [\"TV\",\"MOBILE\",\"WEB\",\"TABLET\",\"CONSOLE\"]",
        "CustomSql \"SELECT datediff(current_date(), max(to_date(event_date))) FROM primary\" <= 1",
      ],
    ) : strcontains(aws_glue_data_quality_ruleset.processed.ruleset, rule)])
    error_message = "The ruleset must check required columns, allowed event and device types, unique event_id and freshness of the newest event_date."
  }

  assert {
    condition     = startswith(aws_glue_data_quality_ruleset.processed.ruleset, "Rules = [") && endswith(trimspace(aws_glue_data_quality_ruleset.processed.ruleset), "]")
    error_message = "DQDL must be one Rules = [ ... ] list."
  }

  assert {
    # Every rule line but the last ends with a comma (DQDL is comma-separated).
    condition = alltrue([for line in slice(split("\n", trimspace(aws_glue_data_quality_ruleset.processed.ruleset)), 1, length(split("\n", trimspace(aws_glue_data_quality_ruleset.processed.ruleset))) - 2) :
    endswith(line, ",")])
    error_message = "Every DQDL rule but the last must end with a comma."
  }
}

run "athena_workgroup_cannot_run_away" {
  command = plan

  assert {
    condition = (
      aws_athena_workgroup.lake.name == "streamlake"
      && aws_athena_workgroup.lake.configuration[0].enforce_workgroup_configuration
      && aws_athena_workgroup.lake.configuration[0].bytes_scanned_cutoff_per_query == 1073741824
      && aws_athena_workgroup.lake.configuration[0].publish_cloudwatch_metrics_enabled
    )
    error_message = "The workgroup must enforce its configuration and cut queries off at 1 GiB scanned by default."
  }

  assert {
    condition = (
      aws_athena_workgroup.lake.configuration[0].result_configuration[0].output_location == "s3://streamlake-athena-results-123456789012-us-east-1/results/"
      && aws_athena_workgroup.lake.configuration[0].result_configuration[0].encryption_configuration[0].encryption_option == "SSE_KMS"
      && aws_athena_workgroup.lake.configuration[0].result_configuration[0].encryption_configuration[0].kms_key_arn == aws_kms_key.lake.arn
    )
    error_message = "Results must go to the results bucket, KMS-encrypted."
  }

  assert {
    condition = toset(keys(aws_athena_named_query.lake)) == toset([for f in fileset("../sql/queries", "*.sql") : trimsuffix(f, ".sql")]) && alltrue([
      for name, q in aws_athena_named_query.lake :
      q.query == file("../sql/queries/${name}.sql") && q.workgroup == aws_athena_workgroup.lake.name && q.database == "netflix-streams-aws"
    ])
    error_message = "Every sql/queries/*.sql must be a named query with the file's text, in the workgroup and database."
  }

  assert {
    condition     = length(aws_athena_named_query.lake) >= 6 && aws_athena_named_query.lake["top_titles"].description == "The ten most played titles: PLAY_START events joined to the title dimension."
    error_message = "Named queries take their description from the file's first comment."
  }
}

run "athena_cutoff_is_a_variable" {
  command = plan

  variables {
    athena_bytes_scanned_cutoff = 10737418240
  }

  assert {
    condition     = aws_athena_workgroup.lake.configuration[0].bytes_scanned_cutoff_per_query == 10737418240
    error_message = "athena_bytes_scanned_cutoff must reach the workgroup."
  }
}

run "athena_cutoff_has_athenas_minimum" {
  command = plan

  variables {
    athena_bytes_scanned_cutoff = 1000
  }

  expect_failures = [var.athena_bytes_scanned_cutoff]
}
