# Every alarm exists with its threshold and notifies the topic; the metric names are the EMF
# contract of docs/metrics.md; the dashboard shows what the issue lists.

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

run "alarms_default" {
  command = plan

  assert {
    condition = jsonencode({ for k, a in aws_cloudwatch_metric_alarm.lambda : a.alarm_name => [a.namespace, a.metric_name, a.dimensions, a.statistic, a.comparison_operator, a.threshold] }) == jsonencode({
      "streamlake-generator-errors"       = ["AWS/Lambda", "Errors", { FunctionName = "streamlake-generator" }, "Sum", "GreaterThanThreshold", 0]
      "streamlake-generator-throttles"    = ["AWS/Lambda", "Throttles", { FunctionName = "streamlake-generator" }, "Sum", "GreaterThanThreshold", 0]
      "streamlake-query-runner-errors"    = ["AWS/Lambda", "Errors", { FunctionName = "streamlake-query-runner" }, "Sum", "GreaterThanThreshold", 0]
      "streamlake-query-runner-throttles" = ["AWS/Lambda", "Throttles", { FunctionName = "streamlake-query-runner" }, "Sum", "GreaterThanThreshold", 0]
      "streamlake-registrar-errors"       = ["AWS/Lambda", "Errors", { FunctionName = "streamlake-registrar" }, "Sum", "GreaterThanThreshold", 0]
      "streamlake-registrar-throttles"    = ["AWS/Lambda", "Throttles", { FunctionName = "streamlake-registrar" }, "Sum", "GreaterThanThreshold", 0]
      "streamlake-transformer-errors"     = ["AWS/Lambda", "Errors", { FunctionName = "streamlake-transformer" }, "Sum", "GreaterThanThreshold", 0]
      "streamlake-transformer-throttles"  = ["AWS/Lambda", "Throttles", { FunctionName = "streamlake-transformer" }, "Sum", "GreaterThanThreshold", 0]
    })
    error_message = "Each Lambda needs an Errors and a Throttles alarm with its threshold."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.on_failure_queue.namespace == "AWS/SQS"
      && aws_cloudwatch_metric_alarm.on_failure_queue.metric_name == "ApproximateNumberOfMessagesVisible"
      && aws_cloudwatch_metric_alarm.on_failure_queue.dimensions == tomap({ QueueName = "streamlake-lambda-failures" })
      && aws_cloudwatch_metric_alarm.on_failure_queue.comparison_operator == "GreaterThanThreshold"
      && aws_cloudwatch_metric_alarm.on_failure_queue.threshold == 0
    )
    error_message = "A non-empty on-failure queue must alarm."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.firehose_freshness.namespace == "AWS/Firehose"
      && aws_cloudwatch_metric_alarm.firehose_freshness.metric_name == "DeliveryToS3.DataFreshness"
      && aws_cloudwatch_metric_alarm.firehose_freshness.dimensions == tomap({ DeliveryStreamName = "streamlake-playback" })
      && aws_cloudwatch_metric_alarm.firehose_freshness.statistic == "Maximum"
      && aws_cloudwatch_metric_alarm.firehose_freshness.comparison_operator == "GreaterThanThreshold"
      && aws_cloudwatch_metric_alarm.firehose_freshness.threshold == 900
    )
    error_message = "Firehose DeliveryToS3.DataFreshness over 900 s must alarm."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.quarantine_ratio.comparison_operator == "GreaterThanThreshold"
      && aws_cloudwatch_metric_alarm.quarantine_ratio.threshold == 0.05
      && jsonencode([for q in aws_cloudwatch_metric_alarm.quarantine_ratio.metric_query : [q.id, q.expression, q.return_data]
      if q.expression != null && q.expression != ""]) == jsonencode([["ratio", "IF(records_in > 0, quarantined / records_in, 0)", true]])
      && jsonencode({ for q in aws_cloudwatch_metric_alarm.quarantine_ratio.metric_query : q.id => [q.metric[0].namespace, q.metric[0].metric_name, q.metric[0].dimensions, q.metric[0].stat]
        if length(q.metric) > 0 }) == jsonencode({
        quarantined = ["StreamLake", "RecordsQuarantined", { Function = "transformer" }, "Sum"]
        records_in  = ["StreamLake", "RecordsIn", { Function = "transformer" }, "Sum"]
      })
    )
    error_message = "The quarantine ratio alarm is RecordsQuarantined / RecordsIn (guarded against zero) over its threshold."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.generator_events_failed.namespace == "StreamLake"
      && aws_cloudwatch_metric_alarm.generator_events_failed.metric_name == "EventsFailed"
      && aws_cloudwatch_metric_alarm.generator_events_failed.dimensions == tomap({ Function = "generator" })
      && aws_cloudwatch_metric_alarm.generator_events_failed.threshold == 0
    )
    error_message = "EventsFailed > 0 must alarm (docs/metrics.md)."
  }

  assert {
    condition = (
      length(aws_cloudwatch_metric_alarm.gold_refresh_failed_invocations) == 1
      && aws_cloudwatch_metric_alarm.gold_refresh_failed_invocations[0].namespace == "AWS/Events"
      && aws_cloudwatch_metric_alarm.gold_refresh_failed_invocations[0].metric_name == "FailedInvocations"
      && aws_cloudwatch_metric_alarm.gold_refresh_failed_invocations[0].dimensions == tomap({ RuleName = "streamlake-gold-refresh" })
      && aws_cloudwatch_metric_alarm.gold_refresh_failed_invocations[0].comparison_operator == "GreaterThanThreshold"
      && aws_cloudwatch_metric_alarm.gold_refresh_failed_invocations[0].threshold == 0
    )
    error_message = "With the gold refresh scheduled (the default), EventBridge failing to invoke the query-runner must alarm (its errors are the query-runner Errors alarm)."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.records_written_zero) == 0
    error_message = "With the generator schedule off, \"records written fell to zero\" would always fire: it must not exist."
  }

  assert {
    # The registrar's EMF: namespace StreamLake, dimension Function = registrar.
    condition = (
      length(aws_cloudwatch_metric_alarm.compaction_lag) == 1
      && aws_cloudwatch_metric_alarm.compaction_lag[0].alarm_name == "streamlake-compaction-lag"
      && aws_cloudwatch_metric_alarm.compaction_lag[0].namespace == "StreamLake"
      && aws_cloudwatch_metric_alarm.compaction_lag[0].metric_name == "CompactionLagSeconds"
      && aws_cloudwatch_metric_alarm.compaction_lag[0].dimensions == tomap({ Function = "registrar" })
      && aws_cloudwatch_metric_alarm.compaction_lag[0].statistic == "Maximum"
      && aws_cloudwatch_metric_alarm.compaction_lag[0].period == 3600
      && aws_cloudwatch_metric_alarm.compaction_lag[0].evaluation_periods == 1
      && aws_cloudwatch_metric_alarm.compaction_lag[0].comparison_operator == "GreaterThanThreshold"
      && aws_cloudwatch_metric_alarm.compaction_lag[0].threshold == 7200
      && aws_cloudwatch_metric_alarm.compaction_lag[0].treat_missing_data == "breaching"
    )
    error_message = "With compaction on (the default), CompactionLagSeconds (Maximum, hourly) above 7200 s must alarm, and so must an hour without a datapoint (compaction not running)."
  }

  assert {
    condition = alltrue([for a in concat(
      values(aws_cloudwatch_metric_alarm.lambda),
      [aws_cloudwatch_metric_alarm.on_failure_queue, aws_cloudwatch_metric_alarm.firehose_freshness, aws_cloudwatch_metric_alarm.quarantine_ratio, aws_cloudwatch_metric_alarm.generator_events_failed],
      aws_cloudwatch_metric_alarm.gold_refresh_failed_invocations,
      aws_cloudwatch_metric_alarm.compaction_lag,
      ) : a.alarm_actions == toset([aws_sns_topic.alarms.arn]) && a.ok_actions == toset([aws_sns_topic.alarms.arn])
      && a.actions_enabled && a.threshold != null && a.alarm_description != ""
    ])
    error_message = "Every alarm needs a threshold, a description, and to notify the alarm topic."
  }

  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == aws_kms_key.lake.arn && length(aws_sns_topic_subscription.alarm_email) == 0
    error_message = "The alarm topic is KMS-encrypted; no email subscription unless alarm_email is set."
  }
}

run "alarms_follow_variables" {
  command = plan

  variables {
    generator_schedule_enabled           = true
    generator_schedule_minutes           = 45
    alarm_email                          = "oncall@example.com"
    quarantine_ratio_threshold           = 0.2
    firehose_freshness_threshold_seconds = 600
    lambda_errors_threshold              = 3
    gold_refresh_schedule_enabled        = false
    compaction_lag_alarm_seconds         = 10800
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.gold_refresh_failed_invocations) == 0
    error_message = "With the gold refresh schedule off, its failed-invocations alarm must not exist."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.compaction_lag[0].threshold == 10800
    error_message = "compaction_lag_alarm_seconds must set the compaction-lag threshold."
  }

  assert {
    condition = (
      length(aws_cloudwatch_metric_alarm.records_written_zero) == 1
      && aws_cloudwatch_metric_alarm.records_written_zero[0].namespace == "StreamLake"
      && aws_cloudwatch_metric_alarm.records_written_zero[0].metric_name == "RecordsWritten"
      && aws_cloudwatch_metric_alarm.records_written_zero[0].dimensions == tomap({ Function = "transformer" })
      && aws_cloudwatch_metric_alarm.records_written_zero[0].comparison_operator == "LessThanThreshold"
      && aws_cloudwatch_metric_alarm.records_written_zero[0].threshold == 1
      && aws_cloudwatch_metric_alarm.records_written_zero[0].treat_missing_data == "breaching"
      && aws_cloudwatch_metric_alarm.records_written_zero[0].alarm_actions == toset([aws_sns_topic.alarms.arn])
    )
    error_message = "With the generator scheduled, no rows written to silver for a period must alarm (missing data counts)."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.records_written_zero[0].period == 5400
    error_message = "The zero-written period must be at least two schedule intervals (45 min -> 90 min)."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.quarantine_ratio.threshold == 0.2
      && aws_cloudwatch_metric_alarm.firehose_freshness.threshold == 600
      && aws_cloudwatch_metric_alarm.lambda["transformer-errors"].threshold == 3
    )
    error_message = "Alarm thresholds must follow their variables."
  }

  assert {
    condition = (
      aws_sns_topic_subscription.alarm_email[0].protocol == "email"
      && aws_sns_topic_subscription.alarm_email[0].endpoint == "oncall@example.com"
      && aws_sns_topic_subscription.alarm_email[0].topic_arn == aws_sns_topic.alarms.arn
    )
    error_message = "alarm_email must subscribe to the alarm topic."
  }
}

run "compaction_lag_alarm_follows_the_schedule" {
  command = plan

  variables {
    enable_compaction = false
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.compaction_lag) == 0
    error_message = "With compaction off, the compaction-lag alarm (missing data breaches) would always fire: it must not exist."
  }
}

run "metric_names_are_the_emf_contract" {
  command = plan

  assert {
    # Every StreamLake metric the alarms and dashboard use is documented in docs/metrics.md.
    condition = alltrue([for name in distinct(concat(
      [aws_cloudwatch_metric_alarm.generator_events_failed.metric_name],
      [for a in aws_cloudwatch_metric_alarm.compaction_lag : a.metric_name],
      [for q in aws_cloudwatch_metric_alarm.quarantine_ratio.metric_query : q.metric[0].metric_name if length(q.metric) > 0],
      flatten([for w in jsondecode(aws_cloudwatch_dashboard.pipeline.dashboard_body).widgets :
        [for m in w.properties.metrics : m[1] if try(m[0] == "StreamLake", false)]
      ]),
    )) : strcontains(file("../docs/metrics.md"), "| `${name}` |")])
    error_message = "An alarm or dashboard uses a StreamLake metric that docs/metrics.md does not define."
  }

  assert {
    condition = toset(flatten([for w in jsondecode(aws_cloudwatch_dashboard.pipeline.dashboard_body).widgets :
      [for m in w.properties.metrics : m[1] if try(m[0] == "StreamLake", false)]
      ])) == toset([
      "RecordsIn", "RecordsWritten", "RecordsQuarantined", "DuplicatesDropped", "EventsSent", "BytesScanned",
      "PartitionsRegistered", "FilesCommitted", "PartitionsCompacted", "CrossObjectDuplicatesDropped", "FilesVacuumed", "CompactionLagSeconds",
    ])
    error_message = "The dashboard must chart the transformer's throughput metrics, EventsSent, BytesScanned and the registrar's commit, compaction and garbage-collection metrics."
  }

  assert {
    condition = alltrue(flatten([for w in jsondecode(aws_cloudwatch_dashboard.pipeline.dashboard_body).widgets :
      [for m in w.properties.metrics : contains(["generator", "transformer", "registrar", "query-runner"], m[3]) if try(m[0] == "StreamLake", false)]
    ]))
    error_message = "StreamLake metrics have one dimension, Function, with a function's name."
  }
}

run "dashboard_shows_the_pipeline" {
  command = plan

  assert {
    condition = [for w in jsondecode(aws_cloudwatch_dashboard.pipeline.dashboard_body).widgets : w.properties.title] == [
      "Throughput: records through the transformer",
      "Quarantine rate (RecordsQuarantined / RecordsIn)",
      "Lambda duration (p95, ms)",
      "Lambda errors and throttles",
      "Freshness: Firehose DeliveryToS3.DataFreshness (s)",
      "Athena bytes scanned",
      "Gold refresh (scheduled, query-runner)",
      "Committed tables (registrar): commits, compaction, garbage collection",
    ]
    error_message = "The dashboard shows throughput, quarantine rate, duration, errors, freshness, Athena bytes scanned, the gold refresh and the committed tables."
  }

  assert {
    # FilesCommitted and CompactionLagSeconds next to PartitionsRegistered; the lag as a
    # Maximum on its own axis, with the alarm threshold.
    condition = (
      jsonencode([for m in jsondecode(aws_cloudwatch_dashboard.pipeline.dashboard_body).widgets[7].properties.metrics : slice(m, 0, 4)]) == jsonencode([
        ["StreamLake", "PartitionsRegistered", "Function", "registrar"],
        ["StreamLake", "FilesCommitted", "Function", "registrar"],
        ["StreamLake", "PartitionsCompacted", "Function", "registrar"],
        ["StreamLake", "CrossObjectDuplicatesDropped", "Function", "registrar"],
        ["StreamLake", "FilesVacuumed", "Function", "registrar"],
        ["StreamLake", "CompactionLagSeconds", "Function", "registrar"],
      ])
      && jsondecode(aws_cloudwatch_dashboard.pipeline.dashboard_body).widgets[7].properties.metrics[5][4] == { stat = "Maximum", yAxis = "right" }
      && jsondecode(aws_cloudwatch_dashboard.pipeline.dashboard_body).widgets[7].properties.annotations.horizontal[0].value == 7200
    )
    error_message = "The committed-tables widget charts the registrar's PartitionsRegistered, FilesCommitted, compaction and GC metrics, and CompactionLagSeconds (Maximum) against its alarm."
  }

  assert {
    condition = jsonencode([for m in jsondecode(aws_cloudwatch_dashboard.pipeline.dashboard_body).widgets[6].properties.metrics : slice(m, 0, 4)]) == jsonencode([
      ["AWS/Events", "Invocations", "RuleName", "streamlake-gold-refresh"],
      ["AWS/Events", "FailedInvocations", "RuleName", "streamlake-gold-refresh"],
      ["AWS/Lambda", "Errors", "FunctionName", "streamlake-query-runner"],
      ["AWS/Lambda", "Duration", "FunctionName", "streamlake-query-runner"],
    ])
    error_message = "The gold refresh widget charts the rule's invocations and failures and the query-runner's errors and duration."
  }

  assert {
    condition     = output.dashboard_url == "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=streamlake-pipeline"
    error_message = "dashboard_url must open the dashboard."
  }
}
