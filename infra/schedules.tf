# EventBridge schedules. The rules always exist; variables switch them on, so enabling one
# is a one-variable apply and the alarms that depend on it follow.

resource "aws_cloudwatch_event_rule" "generator" {
  name                = "${var.name_prefix}-generator-schedule"
  description         = "Synthetic playback traffic: invoke the generator every ${var.generator_schedule_minutes} minute(s)"
  schedule_expression = var.generator_schedule_minutes == 1 ? "rate(1 minute)" : "rate(${var.generator_schedule_minutes} minutes)"
  state               = var.generator_schedule_enabled ? "ENABLED" : "DISABLED"
}

resource "aws_cloudwatch_event_target" "generator" {
  rule = aws_cloudwatch_event_rule.generator.name
  arn  = aws_lambda_function.this["generator"].arn
  # The generator rejects unknown payload fields, so it gets `{}` (DEFAULT_EVENTS events over
  # DEFAULT_DAYS days ending today, seed from the request id), not the scheduled event.
  input = jsonencode({})
}

resource "aws_cloudwatch_event_rule" "gold_refresh" {
  name                = "${var.name_prefix}-gold-refresh"
  description         = "Incremental gold refresh: {\"refresh_gold\": true} to the query-runner recomputes the days whose inputs changed"
  schedule_expression = var.gold_refresh_schedule
  state               = var.gold_refresh_schedule_enabled ? "ENABLED" : "DISABLED"
}

resource "aws_cloudwatch_event_target" "gold_refresh" {
  rule = aws_cloudwatch_event_rule.gold_refresh.name
  arn  = aws_lambda_function.this["query-runner"].arn
  # scope "stale" is the default without days: of the last 7 closed days (and today with
  # open_day), only those whose silver versions changed since their last gold commit, or
  # whose arrivals had not settled, are recomputed; a run without changes scans nothing.
  input = jsonencode({ refresh_gold = true, open_day = var.gold_refresh_open_day })
}

# The committed tables' upkeep (docs/data_model.md, "Committed tables"): compaction of the
# silver partitions with new appends, then garbage collection of files commits removed more
# than gc_grace_seconds ago, in silver and gold. The compaction-lag alarm (monitoring.tf)
# notices when runs stop.
resource "aws_cloudwatch_event_rule" "compaction" {
  name                = "${var.name_prefix}-compaction"
  description         = "Compaction and garbage collection of the committed tables: {\"compact\": {}} to the registrar"
  schedule_expression = var.compaction_schedule
  state               = var.enable_compaction ? "ENABLED" : "DISABLED"
}

resource "aws_cloudwatch_event_target" "compaction" {
  rule = aws_cloudwatch_event_rule.compaction.name
  arn  = aws_lambda_function.this["registrar"].arn
  # Every partition due; {"compact": {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}} (an ad-hoc
  # invocation) limits a run to a range of days.
  input = jsonencode({ compact = {} })
}

resource "aws_lambda_permission" "events_invoke" {
  for_each = {
    generator    = aws_cloudwatch_event_rule.generator.arn
    query-runner = aws_cloudwatch_event_rule.gold_refresh.arn
    registrar    = aws_cloudwatch_event_rule.compaction.arn
  }

  statement_id   = "AllowEventBridge-${each.key}"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this[each.key].function_name
  principal      = "events.amazonaws.com"
  source_arn     = each.value
  source_account = local.account_id
}
