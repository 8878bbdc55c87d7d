# Inputs. Every one has a default, so `terraform apply` needs no -var for a first deployment;
# docs/setup_guide.md explains the ones worth changing.

variable "aws_region" {
  description = "Region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name (buckets add the account id and region to be globally unique)."
  type        = string
  default     = "streamlake"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-20 lowercase letters, digits or hyphens (it is part of bucket names)."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------
# Storage

variable "raw_retention_days" {
  description = "Days raw (bronze) objects are kept. Quarantine and ledgers live in the same bucket under other prefixes and are kept."
  type        = number
  default     = 30

  validation {
    condition     = var.raw_retention_days >= 1
    error_message = "raw_retention_days must be at least 1."
  }
}

variable "athena_results_retention_days" {
  description = "Days Athena query results are kept."
  type        = number
  default     = 7

  validation {
    condition     = var.athena_results_retention_days >= 1
    error_message = "athena_results_retention_days must be at least 1."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days an overwritten or deleted object version stays recoverable in the versioned buckets."
  type        = number
  default     = 7

  validation {
    condition     = var.noncurrent_version_retention_days >= 1
    error_message = "noncurrent_version_retention_days must be at least 1."
  }
}

variable "access_log_retention_days" {
  description = "Days S3 server access logs are kept."
  type        = number
  default     = 90
}

variable "log_retention_days" {
  description = "Days CloudWatch log groups (Lambda and Firehose) are kept. 365 meets the usual audit baseline; lower it to save cost."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ..., 365, ...)."
  }
}

variable "allow_destroy_with_data" {
  description = "Let `terraform destroy` delete non-empty buckets and the Athena workgroup's history. Apply with true before destroying."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------------------------
# Firehose

variable "firehose_buffer_size_mib" {
  description = "Firehose buffering size hint in MiB: a raw object is written when this much has arrived (or the interval passes)."
  type        = number
  default     = 5

  validation {
    condition     = var.firehose_buffer_size_mib >= 1 && var.firehose_buffer_size_mib <= 128
    error_message = "firehose_buffer_size_mib must be between 1 and 128."
  }
}

variable "firehose_buffer_interval_seconds" {
  description = "Firehose buffering interval hint in seconds."
  type        = number
  default     = 60

  validation {
    condition     = var.firehose_buffer_interval_seconds >= 0 && var.firehose_buffer_interval_seconds <= 900
    error_message = "firehose_buffer_interval_seconds must be between 0 and 900."
  }
}

# ---------------------------------------------------------------------------------------------
# Glue

variable "enable_partition_projection" {
  description = "Turn on Athena partition projection for processed_netflix_events.event_date, a fallback when the registrar cannot run. While on, Athena ignores the partitions the registrar adds."
  type        = bool
  default     = false
}

variable "partition_projection_start_date" {
  description = "First event_date partition projection enumerates (YYYY-MM-DD)."
  type        = string
  default     = "2020-01-01"

  validation {
    condition     = can(regex("^\\d{4}-\\d{2}-\\d{2}$", var.partition_projection_start_date))
    error_message = "partition_projection_start_date must be YYYY-MM-DD."
  }
}

variable "dq_freshness_days" {
  description = "The Glue Data Quality ruleset fails when the newest event_date in silver is older than this many days."
  type        = number
  default     = 1
}

# ---------------------------------------------------------------------------------------------
# Lambdas

variable "lambda_architecture" {
  description = "Instruction set of the Lambda zips: x86_64 (what `scripts/package` builds by default) or arm64 (`scripts/package --arm64`, Graviton, about 20% cheaper per GB-second)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be x86_64 or arm64."
  }
}

variable "lambda_zips" {
  description = "Per-function zip paths, overriding the scripts/package output (../target/lambda/<fn>/bootstrap.zip relative to infra/). Keys: generator, transformer, registrar, query-runner."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.lambda_zips) : contains(["generator", "transformer", "registrar", "query-runner"], k)])
    error_message = "lambda_zips keys must be among generator, transformer, registrar, query-runner."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions per function (-1 removes the reservation, e.g. on a new account whose concurrency limit is 10)."
  type        = map(number)
  default = {
    # One run at a time: overlapping scheduled runs would only double the traffic.
    generator = 1
    # Raw objects arrive about once a minute per buffer; 10 leaves room for backfills
    # without letting a replay storm starve the account.
    transformer = 10
    # One BatchCreatePartition per silver file; idempotent, so throttled events just retry.
    registrar = 2
    # Ad-hoc queries and the hourly gold refresh.
    query-runner = 2
  }

  validation {
    condition = (
      length(setsubtract(["generator", "transformer", "registrar", "query-runner"], keys(var.reserved_concurrency))) == 0
      && alltrue([for v in values(var.reserved_concurrency) : v == -1 || v >= 0])
    )
    error_message = "reserved_concurrency needs a value >= 0 (or -1) for generator, transformer, registrar and query-runner."
  }
}

variable "async_max_retry_attempts" {
  description = "Retries of a failed asynchronous invocation (S3 notifications, schedules) before it goes to the on-failure queue."
  type        = number
  default     = 2

  validation {
    condition     = var.async_max_retry_attempts >= 0 && var.async_max_retry_attempts <= 2
    error_message = "async_max_retry_attempts must be 0, 1 or 2."
  }
}

variable "async_max_event_age_seconds" {
  description = "How long Lambda keeps retrying (including throttles) an asynchronous event before it goes to the on-failure queue."
  type        = number
  default     = 21600

  validation {
    condition     = var.async_max_event_age_seconds >= 60 && var.async_max_event_age_seconds <= 21600
    error_message = "async_max_event_age_seconds must be between 60 and 21600."
  }
}

variable "max_clock_skew_seconds" {
  description = "Transformer: an event more than this after its arrival is quarantined as FROM_FUTURE."
  type        = number
  default     = 3600
}

variable "max_event_age_days" {
  description = "Transformer: an event more than this before its arrival is quarantined as TOO_OLD."
  type        = number
  default     = 30
}

variable "generator_default_events" {
  description = "Generator: clean events per invocation when the payload gives none (also what each scheduled run sends)."
  type        = number
  default     = 10000
}

variable "generator_max_events" {
  description = "Generator: largest accepted request (time and cost guard)."
  type        = number
  default     = 2000000
}

variable "query_timeout_seconds" {
  description = "Query-runner: stop an Athena query after this long. The function timeout is this plus 60 s."
  type        = number
  default     = 240

  validation {
    condition     = var.query_timeout_seconds >= 10 && var.query_timeout_seconds <= 840
    error_message = "query_timeout_seconds must be between 10 and 840 (the function timeout, 60 s more, is at most 900)."
  }
}

variable "max_result_rows" {
  description = "Query-runner: rows returned inline (a Lambda response is at most 6 MB)."
  type        = number
  default     = 10000
}

# ---------------------------------------------------------------------------------------------
# Athena

variable "athena_bytes_scanned_cutoff" {
  description = "Athena cancels any query in the workgroup that scans more than this many bytes (default 1 GiB; minimum 10 MiB)."
  type        = number
  default     = 1073741824

  validation {
    condition     = var.athena_bytes_scanned_cutoff >= 10485760
    error_message = "athena_bytes_scanned_cutoff must be at least 10485760 (10 MiB), Athena's minimum."
  }
}

# ---------------------------------------------------------------------------------------------
# Schedules

variable "generator_schedule_enabled" {
  description = "Invoke the generator on a schedule (synthetic traffic). Off by default: it costs money while it runs."
  type        = bool
  default     = false
}

variable "generator_schedule_minutes" {
  description = "Minutes between scheduled generator runs."
  type        = number
  default     = 15

  validation {
    condition     = var.generator_schedule_minutes >= 1 && var.generator_schedule_minutes <= 1440
    error_message = "generator_schedule_minutes must be between 1 and 1440."
  }
}

variable "gold_refresh_schedule_enabled" {
  description = "Run the hourly gold refresh ({\"refresh_gold\": true} to the query-runner: yesterday and today, UTC, rebuilt from silver, quarantine and the ledgers with Athena INSERT INTO). On by default. Each run is 14 Athena queries (7 tables x 2 days) and Athena bills at least 10 MB per query, so the schedule costs at least ~100 GB scanned (~$0.50) a month; switch it off on an idle stack."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------------------------
# Monitoring

variable "alarm_email" {
  description = "Email address subscribed to the alarm topic (confirm the subscription email). Empty: no subscription."
  type        = string
  default     = ""
}

variable "alarm_period_seconds" {
  description = "Period of the Lambda error and throttle alarms."
  type        = number
  default     = 300
}

variable "lambda_errors_threshold" {
  description = "A function's Errors alarm fires when it has more errors than this in one period."
  type        = number
  default     = 0
}

variable "lambda_throttles_threshold" {
  description = "A function's Throttles alarm fires when it has more throttles than this in one period."
  type        = number
  default     = 0
}

variable "firehose_freshness_threshold_seconds" {
  description = "Alarm when the oldest record in Firehose is older than this (DeliveryToS3.DataFreshness)."
  type        = number
  default     = 900
}

variable "quarantine_ratio_threshold" {
  description = "Alarm when RecordsQuarantined / RecordsIn exceeds this over the period (the generator injects 0.5% bad records by default)."
  type        = number
  default     = 0.05

  validation {
    condition     = var.quarantine_ratio_threshold > 0 && var.quarantine_ratio_threshold < 1
    error_message = "quarantine_ratio_threshold is a ratio between 0 and 1."
  }
}

variable "quarantine_ratio_period_seconds" {
  description = "Period over which the quarantine ratio is computed."
  type        = number
  default     = 900
}

variable "records_written_zero_minutes" {
  description = "With the generator schedule on, alarm when the transformer writes no rows for this many minutes (at least twice the schedule interval is used)."
  type        = number
  default     = 60
}
