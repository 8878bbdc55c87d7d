output "raw_bucket" {
  description = "Bronze (raw/netflix/), quarantine and ledgers."
  value       = aws_s3_bucket.raw.bucket
}

output "processed_bucket" {
  description = "Silver (processed/netflix/) and gold (gold/netflix/)."
  value       = aws_s3_bucket.processed.bucket
}

output "athena_results_bucket" {
  description = "Athena query results (expire after athena_results_retention_days)."
  value       = aws_s3_bucket.athena.bucket
}

output "access_logs_bucket" {
  description = "S3 server access logs of the three data buckets."
  value       = aws_s3_bucket.logs.bucket
}

output "firehose_stream_name" {
  description = "The Direct PUT delivery stream producers write to."
  value       = aws_kinesis_firehose_delivery_stream.raw.name
}

output "function_names" {
  description = "Lambda function names, by role."
  value       = { for fn, f in aws_lambda_function.this : fn => f.function_name }
}

output "athena_workgroup" {
  description = "The workgroup to query in (results location, encryption and scan cutoff enforced)."
  value       = aws_athena_workgroup.lake.name
}

output "glue_database" {
  description = "The Glue database: bronze, silver, quarantine, titles, the seven gold tables and pipeline_ledgers."
  value       = aws_glue_catalog_database.lake.name
}

output "on_failure_queue_url" {
  description = "Failed asynchronous invocations (after retries) land here."
  value       = aws_sqs_queue.lambda_failures.url
}

output "dashboard_url" {
  description = "The CloudWatch dashboard."
  value       = "https://${local.region}.console.aws.amazon.com/cloudwatch/home?region=${local.region}#dashboards:name=${aws_cloudwatch_dashboard.pipeline.dashboard_name}"
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

output "kms_key_arn" {
  description = "The customer-managed key encrypting the stack's data."
  value       = aws_kms_key.lake.arn
}
