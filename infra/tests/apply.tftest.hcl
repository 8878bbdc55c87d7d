# The whole configuration applies against the mocked provider (every resource is created in
# dependency order and every output is set). The other test files use `command = plan`.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }

  # ARN-shaped values where the provider validates ARNs (applied at apply time only: the
  # plan-time overrides of tests/mocks/ and an apply do not mix).
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-west-1:123456789012:key/0b5b8f3e-1111-4a4a-9c9c-000000000000" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/streamlake-mock-role" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::streamlake-mock-bucket" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:streamlake-mock" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:eu-west-1:123456789012:streamlake-lambda-failures" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:streamlake-alarms" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/mock" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:eu-west-1:123456789012:rule/streamlake-mock" }
  }
  mock_resource "aws_kinesis_firehose_delivery_stream" {
    defaults = { arn = "arn:aws:firehose:eu-west-1:123456789012:deliverystream/streamlake-playback" }
  }
}

variables {
  lambda_zips = {
    generator      = "tests/fixtures/bootstrap.zip"
    transformer    = "tests/fixtures/bootstrap.zip"
    registrar      = "tests/fixtures/bootstrap.zip"
    "query-runner" = "tests/fixtures/bootstrap.zip"
  }
  generator_schedule_enabled = true
  alarm_email                = "oncall@example.com"
}

run "applies_with_every_output" {
  command = apply

  assert {
    condition = (
      output.raw_bucket == "streamlake-raw-123456789012-eu-west-1"
      && output.processed_bucket == "streamlake-processed-123456789012-eu-west-1"
      && output.athena_results_bucket == "streamlake-athena-results-123456789012-eu-west-1"
      && output.firehose_stream_name == "streamlake-playback"
      && output.athena_workgroup == "streamlake"
      && output.glue_database == "netflix-streams-aws"
      && jsonencode(output.function_names) == jsonencode({
        generator    = "streamlake-generator"
        query-runner = "streamlake-query-runner"
        registrar    = "streamlake-registrar"
        transformer  = "streamlake-transformer"
      })
      && output.dashboard_url == "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=streamlake-pipeline"
      && output.alarm_topic_arn == aws_sns_topic.alarms.arn
    )
    error_message = "Every output must be set after an apply."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.records_written_zero) == 1 && length(aws_sns_topic_subscription.alarm_email) == 1
    error_message = "With the schedule and an email, the zero-written alarm and the subscription exist."
  }
}
