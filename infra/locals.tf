# Names, prefixes and ARNs, computed once. ARNs are built from names (not read back from
# resources) so that policies are known at plan time and the offline tests can read them.

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
  dns_suffix = data.aws_partition.current.dns_suffix

  # Buckets: S3 key = lake key (DESIGN §3), so the zones are prefixes inside these buckets.
  #   raw:       raw/netflix/ (bronze), quarantine/netflix/, ledger/netflix/, raw/errors/ (Firehose)
  #   processed: processed/netflix/ (silver, titles), gold/netflix/
  #   athena:    query results
  #   logs:      S3 server access logs of the three above
  bucket_names = {
    raw       = "${var.name_prefix}-raw-${local.account_id}-${local.region}"
    processed = "${var.name_prefix}-processed-${local.account_id}-${local.region}"
    athena    = "${var.name_prefix}-athena-results-${local.account_id}-${local.region}"
    logs      = "${var.name_prefix}-access-logs-${local.account_id}-${local.region}"
  }
  bucket_arns = { for k, name in local.bucket_names : k => "arn:${local.partition}:s3:::${name}" }

  # Lake prefixes (DESIGN §3). Notification filters, IAM and Glue locations all use these.
  #
  # Silver and gold are committed tables (docs/data_model.md, "Committed tables"): a
  # partition's Glue location is a directory holding one symlink manifest that lists the
  # Parquet files of its committed version; a commit state (compare-and-swapped with S3
  # conditional writes) and an append-only commit log record each version.
  #   silver: appends in processed (the transformer's output, which triggers the registrar),
  #           compactions in processed_compacted (outside that prefix: they trigger nothing)
  #   gold:   gold/netflix/<table>/unload/<run>/ (Athena UNLOAD, see gold_unload_keys), and
  #           manifests, states and logs under gold/netflix/{manifests,commits,commit_log}/<table>/
  prefixes = {
    raw                  = "raw/netflix/"
    raw_errors           = "raw/errors/"
    quarantine           = "quarantine/netflix/quarantine/"
    ledger               = "ledger/netflix/"
    processed            = "processed/netflix/processed_partitioned/"
    processed_compacted  = "processed/netflix/processed_compacted/"
    processed_manifests  = "processed/netflix/processed_manifests/"
    processed_commits    = "processed/netflix/processed_commits/"
    processed_commit_log = "processed/netflix/processed_commit_log/"
    titles               = "processed/netflix/netflix_titles/"
    gold                 = "gold/netflix/"
    gold_manifests       = "gold/netflix/manifests/"
    gold_commits         = "gold/netflix/commits/"
    gold_commit_log      = "gold/netflix/commit_log/"
    athena               = "results/"
    access_logs          = "s3-access-logs/"
  }
  # Every gold table's UNLOAD output, gold/netflix/<table>/unload/<run>/<first day>/<key>=<day>/<file>: an
  # IAM key pattern (not a prefix), the data files the gold manifests list.
  gold_unload_keys = "${local.prefixes.gold}*/unload/*"

  # Firehose names objects <stream>-1-YYYY-MM-DD-HH-MM-SS-<uuid>.gz under this prefix, which
  # is exactly the raw layout of DESIGN §3 (timestamps are the arrival time, in UTC).
  firehose_prefix       = "${local.prefixes.raw}ingest_year=!{timestamp:yyyy}/ingest_month=!{timestamp:MM}/ingest_day=!{timestamp:dd}/ingest_hour=!{timestamp:HH}/"
  firehose_error_prefix = "${local.prefixes.raw_errors}!{firehose:error-output-type}/ingest_year=!{timestamp:yyyy}/ingest_month=!{timestamp:MM}/ingest_day=!{timestamp:dd}/ingest_hour=!{timestamp:HH}/"
  firehose_stream_name  = "${var.name_prefix}-playback"
  firehose_stream_arn   = "arn:${local.partition}:firehose:${local.region}:${local.account_id}:deliverystream/${local.firehose_stream_name}"

  functions = ["generator", "transformer", "registrar", "query-runner"]
  function_names = {
    for fn in local.functions : fn => "${var.name_prefix}-${fn}"
  }
  function_arns = {
    for fn, name in local.function_names : fn => "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${name}"
  }
  log_group_arns = {
    for fn, name in local.function_names : fn => "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${name}"
  }
  # scripts/package writes target/lambda/<fn>/bootstrap.zip; var.lambda_zips overrides.
  default_lambda_zips = {
    for fn in local.functions : fn => "${path.module}/../target/lambda/${fn}/bootstrap.zip"
  }
  lambda_zips = merge(local.default_lambda_zips, var.lambda_zips)

  # Glue: one source of truth for the Parquet tables, generated from the Arrow schemas the
  # transformer writes (`streamlake schema --format glue > infra/glue_schema.json`).
  glue_schema   = jsondecode(file("${path.module}/glue_schema.json"))
  glue_database = local.glue_schema.database
  parquet_tables = {
    for table in local.glue_schema.tables : table.name => merge(table, {
      # Quarantine lives with bronze (access-restricted: it keeps PII); silver, titles and
      # gold (gold/netflix/<table>/) in processed. glue.tf checks every location is one of
      # these prefixes. `location` is the Glue table location (the manifest prefix of a
      # "symlink" table), `data_location` where its Parquet files live.
      bucket = startswith(table.location, "quarantine/") ? "raw" : "processed"
    })
  }
  # The gold tables (gold/netflix/<table>/, written by the query-runner's refresh_gold; their
  # Glue locations are gold/netflix/manifests/<table>/).
  gold_tables = sort([for name, t in local.parquet_tables : name if startswith(t.location, local.prefixes.gold)])
  glue_arns = {
    catalog  = "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog"
    database = "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${local.glue_database}"
    tables   = "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${local.glue_database}"
  }

  athena_workgroup     = var.name_prefix
  athena_workgroup_arn = "arn:${local.partition}:athena:${local.region}:${local.account_id}:workgroup/${local.athena_workgroup}"
  athena_output        = "s3://${local.bucket_names.athena}/${local.prefixes.athena}"

  metric_namespace = "StreamLake"
}
