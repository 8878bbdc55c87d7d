# Glue Data Catalog: database netflix-streams-aws and the four tables of DESIGN §4.
#
# The three Parquet tables take their columns, partition keys and locations from
# glue_schema.json, which `streamlake schema --format glue` derives from the Arrow schemas the
# transformer writes; scripts/test-infra fails when the two differ. The bronze table is JSON
# and mirrors sql/ddl/raw_netflix_events.sql (tests/catalog.tftest.hcl compares them).

resource "aws_glue_catalog_database" "lake" {
  name        = local.glue_database
  description = "StreamLake playback analytics: bronze, silver, quarantine and the title dimension"
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
