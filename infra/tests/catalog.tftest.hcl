# Glue tables equal the schemas the Rust code writes (glue_schema.json, itself checked against
# `streamlake schema --format glue` by scripts/test-infra) and the Athena DDL in sql/ddl/;
# silver and gold are symlink-manifest tables, quarantine and titles plain Parquet; data
# quality runs as Athena SQL (no Spark reader points at a symlink table); Athena cannot run
# away.

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
    # Silver's location is its manifest prefix (a partition's location is its manifest
    # directory), not processed_partitioned/ where the transformer writes.
    condition = (
      aws_glue_catalog_table.parquet["processed_netflix_events"].storage_descriptor[0].location == "s3://streamlake-processed-123456789012-us-east-1/processed/netflix/processed_manifests/"
      && aws_glue_catalog_table.parquet["quarantined_netflix_events"].storage_descriptor[0].location == "s3://streamlake-raw-123456789012-us-east-1/quarantine/netflix/quarantine/"
      && aws_glue_catalog_table.parquet["netflix_titles"].storage_descriptor[0].location == "s3://streamlake-processed-123456789012-us-east-1/processed/netflix/netflix_titles/"
      && aws_glue_catalog_table.raw.storage_descriptor[0].location == "s3://streamlake-raw-123456789012-us-east-1/raw/netflix/"
    )
    error_message = "Table locations must be the DESIGN §3 prefixes in the right buckets (quarantine lives with bronze; silver at its manifests)."
  }

  assert {
    condition = alltrue([for t in aws_glue_catalog_table.parquet :
      t.table_type == "EXTERNAL_TABLE"
      && t.storage_descriptor[0].ser_de_info[0].serialization_library == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      && t.parameters["parquet.compression"] == "SNAPPY" && t.parameters["classification"] == "parquet"
    ])
    error_message = "The Parquet tables must be external Snappy Parquet (ParquetHiveSerDe, symlink tables included)."
  }

  assert {
    # Written out, independently of glue_schema.json: silver and the seven gold tables are
    # committed (symlink manifests), quarantine and titles plain Parquet files.
    condition = jsonencode({ for name, t in aws_glue_catalog_table.parquet : name => [t.storage_descriptor[0].input_format, t.storage_descriptor[0].output_format] }) == jsonencode({
      daily_data_quality                 = ["org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat", "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"]
      daily_engagement_by_country_device = ["org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat", "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"]
      daily_event_types                  = ["org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat", "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"]
      daily_playback_quality             = ["org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat", "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"]
      daily_quarantine_reasons           = ["org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat", "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"]
      daily_title_engagement             = ["org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat", "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"]
      daily_ttfh_distribution            = ["org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat", "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"]
      netflix_titles                     = ["org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat", "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"]
      processed_netflix_events           = ["org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat", "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"]
      quarantined_netflix_events         = ["org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat", "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"]
    })
    error_message = "Silver and gold must read symlink manifests (SymlinkTextInputFormat); quarantine and titles their Parquet files (MapredParquetInputFormat)."
  }

  assert {
    # glue_schema.json says the same, and its data locations are where the writers write.
    condition = jsonencode({ for name, t in local.parquet_tables : name => [t.storage, t.data_location] }) == jsonencode({
      processed_netflix_events           = ["symlink", "processed/netflix/processed_partitioned/"]
      quarantined_netflix_events         = ["files", "quarantine/netflix/quarantine/"]
      netflix_titles                     = ["files", "processed/netflix/netflix_titles/"]
      daily_title_engagement             = ["symlink", "gold/netflix/daily_title_engagement/"]
      daily_engagement_by_country_device = ["symlink", "gold/netflix/daily_engagement_by_country_device/"]
      daily_playback_quality             = ["symlink", "gold/netflix/daily_playback_quality/"]
      daily_ttfh_distribution            = ["symlink", "gold/netflix/daily_ttfh_distribution/"]
      daily_event_types                  = ["symlink", "gold/netflix/daily_event_types/"]
      daily_data_quality                 = ["symlink", "gold/netflix/daily_data_quality/"]
      daily_quarantine_reasons           = ["symlink", "gold/netflix/daily_quarantine_reasons/"]
    })
    error_message = "glue_schema.json: silver and gold are symlink tables with their data under processed_partitioned/ and gold/netflix/<table>/; quarantine and titles are files."
  }

  assert {
    # The description tells a reader of the catalog what a symlink table is (and who cannot
    # read it).
    condition = alltrue([for name, t in aws_glue_catalog_table.parquet :
      strcontains(t.description, "symlink manifests") == (t.storage_descriptor[0].input_format == "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat")
      && (t.storage_descriptor[0].input_format != "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat" || strcontains(t.description, "Glue Data Quality"))
    ])
    error_message = "A symlink table's description must say it is read through symlink manifests, and that Spark-based readers (Glue Data Quality) cannot read it."
  }

  assert {
    # The hand-written DDL uses the same input format.
    condition = alltrue([for name, t in aws_glue_catalog_table.parquet :
      strcontains(file("../sql/ddl/${name}.sql"), "STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'")
      == (t.storage_descriptor[0].input_format == "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat")
    ])
    error_message = "sql/ddl/<table>.sql and the Glue table disagree on symlink storage."
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
      && aws_glue_catalog_table.parquet["processed_netflix_events"].parameters["storage.location.template"] == "s3://streamlake-processed-123456789012-us-east-1/processed/netflix/processed_manifests/event_date=$${event_date}/"
    )
    error_message = "enable_partition_projection must project event_date over silver's manifest directories (projecting the data directory would read uncommitted and compacted-away files)."
  }

  assert {
    condition     = !contains(keys(aws_glue_catalog_table.parquet["quarantined_netflix_events"].parameters), "projection.enabled")
    error_message = "Only processed_netflix_events gets event_date projection."
  }
}

run "data_quality_runs_as_athena_sql" {
  command = plan

  assert {
    # Glue Data Quality and crawlers read with Spark, which cannot read symlink tables: the
    # checks are the daily_data_quality gold table (sql/gold/daily_data_quality.sql),
    # refreshed by the query-runner.
    condition = alltrue([for f in fileset(path.module, "*.tf") :
      !strcontains(file(f), "resource \"aws_glue_data_quality_ruleset\"") && !strcontains(file(f), "resource \"aws_glue_crawler\"")
    ]) && aws_glue_catalog_table.parquet["processed_netflix_events"].storage_descriptor[0].input_format == "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"
    error_message = "No Spark-based reader (Glue Data Quality ruleset, Glue crawler) may be configured: silver and gold are symlink tables."
  }

  assert {
    condition = (
      contains(local.gold_tables, "daily_data_quality")
      && aws_glue_catalog_table.parquet["daily_data_quality"].storage_descriptor[0].input_format == "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"
      && fileexists("../sql/gold/daily_data_quality.sql")
      && strcontains(file("glue.tf"), "sql/gold/daily_data_quality.sql, refreshed by the query-runner")
    )
    error_message = "The data-quality checks live in sql/gold/daily_data_quality.sql (the daily_data_quality gold table, refreshed by the query-runner), and glue.tf says so."
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
