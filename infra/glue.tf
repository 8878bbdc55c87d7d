# Glue Data Catalog: database netflix-streams-aws and its tables (DESIGN §4 and the gold
# contract): bronze, silver, quarantine, the title dimension, the seven gold tables and the
# transformer's ledgers.
#
# The Parquet tables (silver, quarantine, titles, gold) take their columns, partition keys,
# storage and locations from glue_schema.json, which `streamlake schema --format glue` derives
# from the Arrow schemas the transformer and the gold refresh write; scripts/test-infra fails
# when the two differ. The two JSON tables, bronze and pipeline_ledgers, mirror
# sql/ddl/<table>.sql (tests/catalog.tftest.hcl compares them).

resource "aws_glue_catalog_database" "lake" {
  name        = local.glue_database
  description = "StreamLake playback analytics: bronze, silver, quarantine, the title dimension, gold and the pipeline ledgers"
}

locals {
  # glue_schema.json "storage": how a Parquet table's location is read.
  #   files:   the location holds the Parquet files themselves (quarantine, titles).
  #   symlink: a committed table (silver, gold). Each partition location is a manifest
  #            directory holding one text file, `manifest`, that lists the full s3:// URIs of
  #            the Parquet files of the partition's committed version; SymlinkTextInputFormat
  #            makes Athena read exactly those files with the Parquet SerDe. Files of no
  #            committed version (an unfinished or superseded writer's, or files a later commit
  #            removed and garbage collection has yet to delete) are invisible to it.
  parquet_serde = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
  parquet_table_storage = {
    files = {
      input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
      output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    }
    symlink = {
      input_format  = "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"
      output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    }
  }
  # Which prefixes a table's location may be under, by storage (the precondition below): a
  # symlink table's location is a manifest prefix, its data_location a data prefix.
  table_location_prefixes = {
    files   = ["processed", "titles", "gold", "quarantine"]
    symlink = ["processed_manifests", "gold_manifests"]
  }

  # Partition projection for event_date (variable enable_partition_projection). NOW+1DAYS:
  # an event may be up to MAX_CLOCK_SKEW_SECONDS after its arrival, so tomorrow's (UTC)
  # partition can already exist. The template is the partition's manifest directory (what the
  # registrar registers), never the data directory: projecting processed_partitioned/ would
  # read every file ever appended, compacted-away and uncommitted ones included.
  event_date_projection = {
    "projection.enabled"                  = "true"
    "projection.event_date.type"          = "date"
    "projection.event_date.format"        = "yyyy-MM-dd"
    "projection.event_date.range"         = "${var.partition_projection_start_date},NOW+1DAYS"
    "projection.event_date.interval"      = "1"
    "projection.event_date.interval.unit" = "DAYS"
    "storage.location.template"           = "s3://${local.bucket_names.processed}/${local.prefixes.processed_manifests}event_date=$${event_date}/"
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

# Partitions keep the storage descriptor they were created with. A stack deployed before
# silver and gold became symlink tables has partitions with the Parquet input format at data
# directories (processed_partitioned/event_date=D/, gold/netflix/<table>/<key>=D/): changing
# the table here does not change them, and neither the registrar's BatchCreatePartition nor
# the refresh's ADD IF NOT EXISTS replaces them. Drop those partitions once (an administrator:
# no StreamLake role may delete catalog objects) and let the registrar and the next gold
# refresh register them again at their manifests.
resource "aws_glue_catalog_table" "parquet" {
  for_each = local.parquet_tables

  database_name = aws_glue_catalog_database.lake.name
  name          = each.key
  table_type    = "EXTERNAL_TABLE"
  description = (each.value.storage == "symlink"
    ? "Committed table (Snappy Parquet via symlink manifests): each partition location under s3://${local.bucket_names[each.value.bucket]}/${each.value.location} holds one manifest listing the s3:// URIs of the committed version's files (under ${each.value.data_location}). Athena reads only committed files; Spark-based readers (Glue crawlers, Glue Data Quality) cannot read symlink tables."
    : "Snappy Parquet files under s3://${local.bucket_names[each.value.bucket]}/${each.value.location}."
  )

  parameters = merge(
    {
      EXTERNAL              = "TRUE"
      classification        = each.value.format
      "parquet.compression" = upper(each.value.compression)
    },
    # Projection only for silver, the fallback when the registrar cannot run. Not for gold:
    # the query-runner registers a gold day itself once it is committed (Athena DDL
    # `ALTER TABLE ... ADD IF NOT EXISTS PARTITION ... LOCATION '<manifest directory>'`), the
    # tables are small (one partition per day, a few rows each), and a projected date range
    # from partition_projection_start_date to NOW would make every unfiltered dashboard query
    # probe thousands of empty day prefixes.
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
    input_format  = local.parquet_table_storage[each.value.storage].input_format
    output_format = local.parquet_table_storage[each.value.storage].output_format
    compressed    = true

    # Parquet in both layouts: the manifests only name the files, which are Parquet.
    ser_de_info {
      name                  = "parquet"
      serialization_library = local.parquet_serde
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
      condition     = contains(keys(local.parquet_table_storage), each.value.storage)
      error_message = "glue_schema.json table ${each.key} has storage \"${each.value.storage}\"; glue.tf knows \"files\" and \"symlink\"."
    }
    precondition {
      # Every location must be a lake prefix whose bucket locals.tf knows: a new table under
      # another prefix (say ledger/) would otherwise silently point into the processed bucket.
      # A symlink table's location must be a manifest prefix: at a data prefix, Athena would
      # read Parquet files as manifests.
      condition     = anytrue([for p in lookup(local.table_location_prefixes, each.value.storage, []) : startswith(each.value.location, local.prefixes[p])])
      error_message = "glue_schema.json table ${each.key} (${each.value.storage}) has location ${each.value.location}, outside ${join(", ", [for p in lookup(local.table_location_prefixes, each.value.storage, []) : local.prefixes[p]])}."
    }
    precondition {
      # A symlink table's files are in the data zone of its layer (silver appends or gold),
      # never under its own manifest prefix.
      condition = each.value.storage != "symlink" || (
        anytrue([for p in ["processed", "gold"] : startswith(each.value.data_location, local.prefixes[p])])
        && !anytrue([for p in ["processed_manifests", "gold_manifests"] : startswith(each.value.data_location, local.prefixes[p])])
      )
      error_message = "glue_schema.json symlink table ${each.key} has data_location ${each.value.data_location}, outside ${local.prefixes.processed} and ${local.prefixes.gold} (or under a manifest prefix)."
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
# Data quality: no Glue Data Quality ruleset. Glue Data Quality evaluates a table with Spark,
# which cannot read symlink tables (it would read the manifest text as data), so it would no
# longer see silver. The checks run as Athena SQL instead, in
# sql/gold/daily_data_quality.sql, refreshed by the query-runner (the scheduled gold refresh,
# gold_refresh_schedule_enabled, daily by default) into the daily_data_quality gold table, next to
# daily_quarantine_reasons. The per-record rules (required columns, allowed values, formats)
# are enforced by the transformer before a row reaches silver, and cross-object duplicates of
# event_id are dropped by the scheduled compaction (metric CrossObjectDuplicatesDropped).
