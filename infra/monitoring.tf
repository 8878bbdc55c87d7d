# Alarms to an SNS topic, and one dashboard. Metric names are the EMF contract of
# docs/metrics.md: namespace StreamLake, one dimension Function.

resource "aws_sns_topic" "alarms" {
  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = aws_kms_key.lake.arn
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarm_email == "" ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  alarm_actions = [aws_sns_topic.alarms.arn]

  # Lambda errors and throttles, per function.
  lambda_alarms = merge([
    for fn in local.functions : {
      "${fn}-errors" = {
        function  = fn
        metric    = "Errors"
        threshold = var.lambda_errors_threshold
        what      = "invocations of ${local.function_names[fn]} failed (StreamLake.Retryable or StreamLake.NonRetryable: see its log group; failed async events are in the on-failure queue)"
      }
      "${fn}-throttles" = {
        function  = fn
        metric    = "Throttles"
        threshold = var.lambda_throttles_threshold
        what      = "invocations of ${local.function_names[fn]} were throttled (reserved concurrency ${var.reserved_concurrency[fn]}); async events are retried for up to ${var.async_max_event_age_seconds} s"
      }
    }
  ]...)

  records_written_zero_period = min(86400, 60 * max(var.records_written_zero_minutes, 2 * var.generator_schedule_minutes))
}

resource "aws_cloudwatch_metric_alarm" "lambda" {
  for_each = local.lambda_alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = "More than ${each.value.threshold} ${each.value.what}."
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = local.function_names[each.value.function] }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "on_failure_queue" {
  alarm_name          = "${var.name_prefix}-on-failure-queue-not-empty"
  alarm_description   = "Asynchronous Lambda invocations failed after every retry and wait in ${local.dlq_name}: read the messages (errorType, request), fix the cause, then redrive."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.lambda_failures.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "firehose_freshness" {
  alarm_name          = "${var.name_prefix}-firehose-data-freshness"
  alarm_description   = "The oldest record in Firehose ${local.firehose_stream_name} is more than ${var.firehose_freshness_threshold_seconds} s old: delivery to the raw bucket is failing or backing up (see the /aws/kinesisfirehose log group and raw/errors/)."
  namespace           = "AWS/Firehose"
  metric_name         = "DeliveryToS3.DataFreshness"
  dimensions          = { DeliveryStreamName = aws_kinesis_firehose_delivery_stream.raw.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.firehose_freshness_threshold_seconds
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "quarantine_ratio" {
  alarm_name          = "${var.name_prefix}-quarantine-ratio"
  alarm_description   = "More than ${var.quarantine_ratio_threshold * 100}% of records reaching the transformer were quarantined: a producer is sending bad data. Query quarantined_netflix_events (dq_rejections_by_reason) for the reason codes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.quarantine_ratio_threshold
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "ratio"
    label       = "RecordsQuarantined / RecordsIn"
    expression  = "IF(records_in > 0, quarantined / records_in, 0)"
    return_data = true
  }

  metric_query {
    id = "quarantined"
    metric {
      namespace   = local.metric_namespace
      metric_name = "RecordsQuarantined"
      dimensions  = { Function = "transformer" }
      stat        = "Sum"
      period      = var.quarantine_ratio_period_seconds
    }
  }

  metric_query {
    id = "records_in"
    metric {
      namespace   = local.metric_namespace
      metric_name = "RecordsIn"
      dimensions  = { Function = "transformer" }
      stat        = "Sum"
      period      = var.quarantine_ratio_period_seconds
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "generator_events_failed" {
  alarm_name          = "${var.name_prefix}-generator-events-failed"
  alarm_description   = "The generator could not deliver some events to Firehose after every retry (EventsFailed): check Firehose throttling (PutRecordBatch quotas) and the generator's log group."
  namespace           = local.metric_namespace
  metric_name         = "EventsFailed"
  dimensions          = { Function = "generator" }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "records_written_zero" {
  # Only meaningful while synthetic traffic is scheduled; with real producers, set
  # generator_schedule_enabled or add your own expectation.
  count = var.generator_schedule_enabled ? 1 : 0

  alarm_name          = "${var.name_prefix}-records-written-zero"
  alarm_description   = "The generator schedule is on, but the transformer wrote no rows to silver for ${local.records_written_zero_period / 60} minutes: check the generator, Firehose freshness, the raw-bucket notification and the transformer's errors."
  namespace           = local.metric_namespace
  metric_name         = "RecordsWritten"
  dimensions          = { Function = "transformer" }
  statistic           = "Sum"
  period              = local.records_written_zero_period
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  # No datapoint at all means nothing was written.
  treat_missing_data = "breaching"
  actions_enabled    = true
  alarm_actions      = local.alarm_actions
  ok_actions         = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "gold_refresh_failed_invocations" {
  # A failed refresh_gold run is already the query-runner's Errors alarm (and, after the
  # retries, the on-failure queue). This covers what those cannot see: EventBridge failing to
  # invoke the function at all (permission removed, function deleted), so gold silently
  # stops updating. Only while the schedule is on.
  count = var.gold_refresh_schedule_enabled ? 1 : 0

  alarm_name          = "${var.name_prefix}-gold-refresh-failed-invocations"
  alarm_description   = "EventBridge could not invoke ${local.function_names["query-runner"]} for the scheduled gold refresh (rule ${aws_cloudwatch_event_rule.gold_refresh.name}): gold is not being updated. Check the rule's target and the function's resource policy (aws lambda get-policy)."
  namespace           = "AWS/Events"
  metric_name         = "FailedInvocations"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.gold_refresh.name }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "compaction_lag" {
  # The registrar emits CompactionLagSeconds at the end of every compaction run: how long the
  # oldest silver partition still due for compaction has waited (0 when none is). Too high
  # means runs do not keep up (or fail on a partition); no datapoint at all means compaction
  # is not running (the rule cannot invoke the function, or runs time out before the end),
  # hence missing data breaches. Only while the schedule is on: off, it would always fire.
  count = var.enable_compaction ? 1 : 0

  alarm_name          = "${var.name_prefix}-compaction-lag"
  alarm_description   = "A silver partition has waited more than ${var.compaction_lag_alarm_seconds} s for compaction, or no compaction run finished in the last hour (rule ${aws_cloudwatch_event_rule.compaction.name}, ${var.compaction_schedule}): silver accumulates small files and removed files are not garbage-collected. Check the registrar's errors and duration (timeout ${var.registrar_timeout_seconds} s) and the rule's invocations."
  namespace           = local.metric_namespace
  metric_name         = "CompactionLagSeconds"
  dimensions          = { Function = "registrar" }
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.compaction_lag_alarm_seconds
  treat_missing_data  = "breaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# ---------------------------------------------------------------------------------------------
# Dashboard

locals {
  dashboard_name = "${var.name_prefix}-pipeline"

  dashboard_widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title  = "Throughput: records through the transformer"
        region = local.region
        stat   = "Sum"
        period = 300
        view   = "timeSeries"
        metrics = [
          [local.metric_namespace, "RecordsIn", "Function", "transformer"],
          [local.metric_namespace, "RecordsWritten", "Function", "transformer"],
          [local.metric_namespace, "RecordsQuarantined", "Function", "transformer"],
          [local.metric_namespace, "DuplicatesDropped", "Function", "transformer"],
          [local.metric_namespace, "EventsSent", "Function", "generator"],
          ["AWS/Firehose", "IncomingRecords", "DeliveryStreamName", local.firehose_stream_name],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title  = "Quarantine rate (RecordsQuarantined / RecordsIn)"
        region = local.region
        period = 300
        view   = "timeSeries"
        yAxis  = { left = { min = 0 } }
        metrics = [
          [{ expression = "IF(m_in > 0, m_q / m_in, 0)", label = "quarantine ratio", id = "ratio" }],
          [local.metric_namespace, "RecordsQuarantined", "Function", "transformer", { id = "m_q", stat = "Sum", visible = false }],
          [local.metric_namespace, "RecordsIn", "Function", "transformer", { id = "m_in", stat = "Sum", visible = false }],
        ]
        annotations = { horizontal = [{ label = "alarm", value = var.quarantine_ratio_threshold }] }
      }
    },
    {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = {
        title   = "Lambda duration (p95, ms)"
        region  = local.region
        stat    = "p95"
        period  = 300
        view    = "timeSeries"
        metrics = [for fn in local.functions : ["AWS/Lambda", "Duration", "FunctionName", local.function_names[fn]]]
      }
    },
    {
      type = "metric", x = 12, y = 6, width = 12, height = 6
      properties = {
        title  = "Lambda errors and throttles"
        region = local.region
        stat   = "Sum"
        period = 300
        view   = "timeSeries"
        metrics = concat(
          [for fn in local.functions : ["AWS/Lambda", "Errors", "FunctionName", local.function_names[fn]]],
          [for fn in local.functions : ["AWS/Lambda", "Throttles", "FunctionName", local.function_names[fn]]],
          [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", local.dlq_name, { stat = "Maximum" }]],
        )
      }
    },
    {
      type = "metric", x = 0, y = 12, width = 12, height = 6
      properties = {
        title  = "Freshness: Firehose DeliveryToS3.DataFreshness (s)"
        region = local.region
        stat   = "Maximum"
        period = 300
        view   = "timeSeries"
        metrics = [
          ["AWS/Firehose", "DeliveryToS3.DataFreshness", "DeliveryStreamName", local.firehose_stream_name],
        ]
        annotations = { horizontal = [{ label = "alarm", value = var.firehose_freshness_threshold_seconds }] }
      }
    },
    {
      type = "metric", x = 12, y = 12, width = 12, height = 6
      properties = {
        title  = "Athena bytes scanned"
        region = local.region
        stat   = "Sum"
        period = 3600
        view   = "timeSeries"
        metrics = [
          [local.metric_namespace, "BytesScanned", "Function", "query-runner"],
          # Athena publishes ProcessedBytes per QueryState and QueryType too: sum them.
          [{ expression = "SUM(SEARCH('{AWS/Athena,QueryState,QueryType,WorkGroup} MetricName=\"ProcessedBytes\" WorkGroup=\"${local.athena_workgroup}\"', 'Sum', 3600))", label = "Athena ProcessedBytes (workgroup)", id = "athena" }],
        ]
        annotations = { horizontal = [{ label = "per-query cutoff", value = var.athena_bytes_scanned_cutoff }] }
      }
    },
    {
      type = "metric", x = 0, y = 18, width = 12, height = 6
      properties = {
        title  = "Gold refresh (scheduled, query-runner)"
        region = local.region
        stat   = "Sum"
        period = 3600
        view   = "timeSeries"
        metrics = [
          ["AWS/Events", "Invocations", "RuleName", aws_cloudwatch_event_rule.gold_refresh.name],
          ["AWS/Events", "FailedInvocations", "RuleName", aws_cloudwatch_event_rule.gold_refresh.name],
          ["AWS/Lambda", "Errors", "FunctionName", local.function_names["query-runner"]],
          # A refresh is up to one UNLOAD per table and run of stale days (plus their commits
          # and DDL) in one invocation:
          # watch it against the function timeout (query_timeout_seconds + 60 s).
          ["AWS/Lambda", "Duration", "FunctionName", local.function_names["query-runner"], { stat = "Maximum", yAxis = "right" }],
        ]
        annotations = { horizontal = [{ label = "function timeout (ms)", value = (var.query_timeout_seconds + 60) * 1000, yAxis = "right" }] }
      }
    },
    {
      type = "metric", x = 12, y = 18, width = 12, height = 6
      properties = {
        title  = "Committed tables (registrar): commits, compaction, garbage collection"
        region = local.region
        stat   = "Sum"
        period = 3600
        view   = "timeSeries"
        metrics = [
          [local.metric_namespace, "PartitionsRegistered", "Function", "registrar"],
          [local.metric_namespace, "FilesCommitted", "Function", "registrar"],
          [local.metric_namespace, "PartitionsCompacted", "Function", "registrar"],
          [local.metric_namespace, "CrossObjectDuplicatesDropped", "Function", "registrar"],
          [local.metric_namespace, "FilesVacuumed", "Function", "registrar"],
          # Seconds, on their own axis, against the alarm threshold.
          [local.metric_namespace, "CompactionLagSeconds", "Function", "registrar", { stat = "Maximum", yAxis = "right" }],
        ]
        annotations = { horizontal = [{ label = "compaction lag alarm (s)", value = var.compaction_lag_alarm_seconds, yAxis = "right" }] }
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "pipeline" {
  dashboard_name = local.dashboard_name
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
