# Mock AWS for `terraform test`: fixed account, region and partition, and realistic ARNs for
# the resources whose ARNs end up in policies or ARN-validated arguments. Values apply at
# plan time too (override_during), so `command = plan` runs can read whole policies.

mock_data "aws_caller_identity" {
  override_during = plan
  defaults = {
    account_id = "123456789012"
    arn        = "arn:aws:iam::123456789012:user/terraform-test"
    user_id    = "AIDAEXAMPLEEXAMPLE"
  }
}

mock_data "aws_region" {
  override_during = plan
  defaults = {
    name        = "us-east-1"
    description = "US East (N. Virginia)"
    endpoint    = "ec2.us-east-1.amazonaws.com"
  }
}

mock_data "aws_partition" {
  override_during = plan
  defaults = {
    partition          = "aws"
    dns_suffix         = "amazonaws.com"
    reverse_dns_prefix = "com.amazonaws"
  }
}

mock_resource "aws_kms_key" {
  override_during = plan
  defaults = {
    arn    = "arn:aws:kms:us-east-1:123456789012:key/0b5b8f3e-1111-4a4a-9c9c-000000000000"
    key_id = "0b5b8f3e-1111-4a4a-9c9c-000000000000"
  }
}

mock_resource "aws_iam_role" {
  override_during = plan
  defaults = {
    arn = "arn:aws:iam::123456789012:role/streamlake-mock-role"
  }
}

mock_resource "aws_s3_bucket" {
  override_during = plan
  defaults = {
    arn = "arn:aws:s3:::streamlake-mock-bucket"
  }
}

mock_resource "aws_lambda_function" {
  override_during = plan
  defaults = {
    arn        = "arn:aws:lambda:us-east-1:123456789012:function:streamlake-mock"
    invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:streamlake-mock/invocations"
  }
}

mock_resource "aws_sqs_queue" {
  override_during = plan
  defaults = {
    arn = "arn:aws:sqs:us-east-1:123456789012:streamlake-lambda-failures"
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/streamlake-lambda-failures"
  }
}

mock_resource "aws_sns_topic" {
  override_during = plan
  defaults = {
    arn = "arn:aws:sns:us-east-1:123456789012:streamlake-alarms"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  override_during = plan
  defaults = {
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/mock"
  }
}

mock_resource "aws_cloudwatch_event_rule" {
  override_during = plan
  defaults = {
    arn = "arn:aws:events:us-east-1:123456789012:rule/streamlake-mock"
  }
}

mock_resource "aws_kinesis_firehose_delivery_stream" {
  override_during = plan
  defaults = {
    arn = "arn:aws:firehose:us-east-1:123456789012:deliverystream/streamlake-playback"
  }
}
