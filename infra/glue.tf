# Glue Data Catalog: database netflix-streams-aws and its tables (DESIGN §4 and the gold
# contract): bronze, silver, quarantine, the title dimension, the seven gold tables and the
# transformer's ledgers.
#
# The Parquet tables (silver, quarantine, titles, gold) take their columns, partition keys and
# locations from glue_schema.json, which `streamlake schema --format glue` derives from the
# Arrow schemas the transformer and the gold refresh write; scripts/test-infra fails when the
# two differ. The two JSON tables, bronze and pipeline_ledgers, mirror sql/ddl/<table>.sql
# (tests/catalog.tftest.hcl compares them).

resource "aws_glue_catalog_database" "lake" {
  name        = local.glue_database
  description = "StreamLake playback analytics: bronze, silver, quarantine, the title dimension, gold and the pipeline ledgers"
}

locals {
  parquet_storage = {
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    serde         = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
  }

  # Partition projection for event_date (variable enable_partition_projection). NOW+1DAYS:
  # an event may be up to MAX_CLOCK_SKEW_SECONDS after its arrival, so tomorrow's (UTC)
  # partition can already exist.
  event_date_projection = {
    "projection.enabled"                  = "true"
    "projection.event_date.type"          = "date"
    "projection.event_date.format"        = "yyyy-MM-dd"
    "projection.event_date.range"         = "${var.partition_projection_start_date},NOW+1DAYS"
    "projection.event_date.interval"      = "1"
    "projection.event_date.interval.unit" = "DAYS"
    "storage.location.template"           = "s3://${local.bucket_names.processed}/${local.prefixes.processed}event_date=$${event_date}/"
  }

  # sql/ddl/raw_netflix_events.sql
  raw_columns = [
    { name = "event_id", type = "string" },
    { name = "user_id", type = "string" },
    { name = "profile_id", type = "string" },
    { name = "title_id", type = "string" },
    { name = "session_id", type = "string" },
    { name = "event_type", type = "string" },
    { name = "event_ts", type = "bigint" },
    { name = "position_ms", type = "bigint" },
    { name = "device_type", type = "string" },
    { name = "country", type = "string" },
    { name = "app_version", type = "string" },
    { name = "bitrate_kbps", type = "int" },
    { name = "client_ip", type = "string" },
    { name = "email", type = "string" },
  ]
  raw_partition_keys = ["ingest_year", "ingest_month", "ingest_day", "ingest_hour"]
}

resource "aws_glue_catalog_table" "parquet" {
  for_each = local.parquet_tables

  database_name = aws_glue_catalog_database.lake.name
  name          = each.key
  table_type    = "EXTERNAL_TABLE"

  parameters = merge(
    {
      EXTERNAL              = "TRUE"
      classification        = each.value.format
      "parquet.compression" = upper(each.value.compression)
    },
    # Projection only for silver, the fallback when the registrar cannot run. Not for gold:
    # its partitions are added to Glue by the gold refresh's own INSERT INTO (no registrar
    # involved), the tables are small (one partition per day, a few rows each), and a
    # projected date range from partition_projection_start_date to NOW would make every
    # unfiltered dashboard query probe thousands of empty day prefixes.
    each.key == "processed_netflix_events" && var.enable_partition_projection ? local.event_date_projection : {},
  )

  dynamic "partition_keys" {
    for_each = each.value.partition_keys
    content {
      name = partition_keys.value.name
      type = partition_keys.value.type
    }
  }

  storage_descriptor {
    location      = "s3://${local.bucket_names[each.value.bucket]}/${each.value.location}"
    input_format  = local.parquet_storage.input_format
    output_format = local.parquet_storage.output_format
    compressed    = true

    ser_de_info {
      name                  = "parquet"
      serialization_library = local.parquet_storage.serde
      parameters            = { "serialization.format" = "1" }
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }

  lifecycle {
    precondition {
      # Every location must be a lake prefix whose bucket locals.tf knows: a new table under
      # another prefix (say ledger/) would otherwise silently point into the processed bucket.
      condition     = anytrue([for p in ["processed", "titles", "gold", "quarantine"] : startswith(each.value.location, local.prefixes[p])])
      error_message = "glue_schema.json table ${each.key} has location ${each.value.location}, outside the processed/netflix/, gold/netflix/ and quarantine/netflix/quarantine/ prefixes."
    }
  }
}

resource "aws_glue_catalog_table" "raw" {
  database_name = aws_glue_catalog_database.lake.name
  name          = "raw_netflix_events"
  table_type    = "EXTERNAL_TABLE"
  description   = "Bronze: Firehose gzip NDJSON. Holds PII (client_ip, email): access-restricted."

  # Partitions are projected from the Firehose prefix, so nothing needs registering.
  parameters = {
    EXTERNAL                         = "TRUE"
    classification                   = "json"
    compressionType                  = "gzip"
    "projection.enabled"             = "true"
    "projection.ingest_year.type"    = "integer"
    "projection.ingest_year.range"   = "2020,2099"
    "projection.ingest_month.type"   = "integer"
    "projection.ingest_month.range"  = "1,12"
    "projection.ingest_month.digits" = "2"
    "projection.ingest_day.type"     = "integer"
    "projection.ingest_day.range"    = "1,31"
    "projection.ingest_day.digits"   = "2"
    "projection.ingest_hour.type"    = "integer"
    "projection.ingest_hour.range"   = "0,23"
    "projection.ingest_hour.digits"  = "2"
    "storage.location.template"      = "s3://${local.bucket_names.raw}/${local.prefixes.raw}ingest_year=$${ingest_year}/ingest_month=$${ingest_month}/ingest_day=$${ingest_day}/ingest_hour=$${ingest_hour}/"
  }

  dynamic "partition_keys" {
    for_each = local.raw_partition_keys
    content {
      name = partition_keys.value
      type = "string"
    }
  }

  storage_descriptor {
    location      = "s3://${local.bucket_names.raw}/${local.prefixes.raw}"
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    compressed    = true

    ser_de_info {
      name                  = "json"
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
      parameters = {
        "ignore.malformed.json" = "true"
        "case.insensitive"      = "true"
      }
    }

    dynamic "columns" {
      for_each = local.raw_columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}

# The transformer's ledgers (one JSON object per line, one file per processed raw object) as
# a table: the gold refresh sums them per arrival day into daily_data_quality. They live in
# the raw bucket next to quarantine; only the scalar fields are columns
# (sql/ddl/pipeline_ledgers.sql). Unpartitioned: one small file per raw object.
locals {
  # sql/ddl/pipeline_ledgers.sql
  ledger_columns = [
    { name = "source", type = "string" },
    { name = "records_in", type = "bigint" },
    { name = "written", type = "bigint" },
    { name = "quarantined", type = "bigint" },
    { name = "duplicates_dropped", type = "bigint" },
    { name = "digest", type = "string" },
    { name = "source_etag", type = "string" },
    { name = "bytes_in", type = "bigint" },
    { name = "ingest_timestamp", type = "string" },
  ]
}

resource "aws_glue_catalog_table" "ledgers" {
  database_name = aws_glue_catalog_database.lake.name
  name          = "pipeline_ledgers"
  table_type    = "EXTERNAL_TABLE"
  description   = "The transformer's ledgers: one JSON object per processed raw object (records in, written, quarantined, duplicates dropped)."

  parameters = {
    EXTERNAL       = "TRUE"
    classification = "json"
  }

  storage_descriptor {
    location      = "s3://${local.bucket_names.raw}/${local.prefixes.ledger}"
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    compressed    = false

    ser_de_info {
      name                  = "json"
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
      # A malformed ledger is a bug to see, not a row to skip (as in the DDL).
      parameters = {
        "ignore.malformed.json" = "FALSE"
      }
    }

    dynamic "columns" {
      for_each = local.ledger_columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}

# ---------------------------------------------------------------------------------------------
# Glue Data Quality: the transformer's rules, as Glue's own view of silver. Run it from the
# Glue console (Data Catalog > Tables > processed_netflix_events > Data quality) or with
# `aws glue start-data-quality-ruleset-evaluation-run`.

resource "aws_glue_data_quality_ruleset" "processed" {
  name        = "${var.name_prefix}-processed-netflix-events"
  description = "Silver mirrors the transformer's validation: required columns, allowed values, unique event_id, fresh data"
  ruleset = templatefile("${path.module}/dq/processed_netflix_events.dqdl.tftpl", {
    required_columns = [
      "event_id", "user_id", "profile_id", "title_id", "session_id", "event_type",
      "device_type", "country", "event_ts", "event_timestamp", "ingest_timestamp",
      "source_object", "event_date",
    ]
    event_types    = local.event_types
    device_types   = local.device_types
    freshness_days = var.dq_freshness_days
  })

  target_table {
    database_name = aws_glue_catalog_database.lake.name
    table_name    = aws_glue_catalog_table.parquet["processed_netflix_events"].name
  }
}
