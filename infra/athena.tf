# Athena: one workgroup whose settings clients cannot override (results location, KMS
# encryption, per-query scan cutoff), and the named queries of sql/queries/ so the console
# lists them.

resource "aws_athena_workgroup" "lake" {
  name          = local.athena_workgroup
  description   = "StreamLake queries: enforced results location, KMS encryption and scan cutoff"
  state         = "ENABLED"
  force_destroy = var.allow_destroy_with_data

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    # Athena cancels any query that would scan more than this: a runaway query costs at
    # most cutoff x $5/TB.
    bytes_scanned_cutoff_per_query = var.athena_bytes_scanned_cutoff

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location       = local.athena_output
      expected_bucket_owner = local.account_id

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = aws_kms_key.lake.arn
      }
    }
  }
}

locals {
  named_query_files = fileset("${path.module}/../sql/queries", "*.sql")
}

resource "aws_athena_named_query" "lake" {
  for_each = { for f in local.named_query_files : trimsuffix(f, ".sql") => f }

  name      = each.key
  workgroup = aws_athena_workgroup.lake.name
  database  = aws_glue_catalog_database.lake.name
  query     = file("${path.module}/../sql/queries/${each.value}")
  # The file's first comment line says what the query answers.
  description = substr(trimspace(trimprefix(split("\n", file("${path.module}/../sql/queries/${each.value}"))[0], "--")), 0, 1024)
}
