# EventBridge schedules. Both rules always exist; variables switch them on, so enabling one
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
  description         = "Hourly gold refresh: {\"refresh_gold\": true} to the query-runner"
  schedule_expression = "rate(1 hour)"
  state               = var.gold_refresh_schedule_enabled ? "ENABLED" : "DISABLED"
}

resource "aws_cloudwatch_event_target" "gold_refresh" {
  rule  = aws_cloudwatch_event_rule.gold_refresh.name
  arn   = aws_lambda_function.this["query-runner"].arn
  input = jsonencode({ refresh_gold = true })
}

resource "aws_lambda_permission" "events_invoke" {
  for_each = {
    generator    = aws_cloudwatch_event_rule.generator.arn
    query-runner = aws_cloudwatch_event_rule.gold_refresh.arn
  }

  statement_id   = "AllowEventBridge-${each.key}"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this[each.key].function_name
  principal      = "events.amazonaws.com"
  source_arn     = each.value
  source_account = local.account_id
}
