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

# ---------------------------------------------------------------------------------------------
# Committed tables: compaction and garbage collection (the registrar)

variable "enable_compaction" {
  description = "Run the scheduled compaction and garbage collection ({\"compact\": {}} to the registrar): silver partitions with new appends are merged into files of about compaction_target_file_mb (cross-object duplicates of event_id dropped), and files commits removed more than gc_grace_seconds ago are deleted, in silver and gold. Off, silver keeps one small file per raw object and removed files are never deleted."
  type        = bool
  default     = true
}

variable "compaction_schedule" {
  description = "EventBridge schedule expression of the compaction run. At most hourly: the CompactionLag alarm reads one datapoint per hour and treats an hour without one as compaction not running."
  type        = string
  default     = "rate(1 hour)"

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.compaction_schedule))
    error_message = "compaction_schedule must be an EventBridge schedule expression: rate(...) or cron(...)."
  }
}

variable "compaction_target_file_mb" {
  description = "Registrar: size in MB of a compacted silver file (COMPACTION_TARGET_FILE_MB)."
  type        = number
  default     = 128

  validation {
    condition     = var.compaction_target_file_mb >= 1 && var.compaction_target_file_mb <= 4096 && floor(var.compaction_target_file_mb) == var.compaction_target_file_mb
    error_message = "compaction_target_file_mb must be a whole number between 1 and 4096 (what the registrar accepts)."
  }
}

variable "gc_grace_seconds" {
  description = "Registrar: a file a commit removed (compacted away, or replaced by a gold refresh) is deleted this many seconds later (GRACE_SECONDS). Keep it longer than the longest Athena query over the lake: a query that read the previous manifest still reads the removed files."
  type        = number
  default     = 3600

  validation {
    condition     = var.gc_grace_seconds > 0 && floor(var.gc_grace_seconds) == var.gc_grace_seconds
    error_message = "gc_grace_seconds must be a whole number of seconds greater than 0."
  }
}

variable "compaction_lag_alarm_seconds" {
  description = "Alarm when, after a compaction run, a silver partition has waited more than this many seconds for compaction (CompactionLagSeconds), or when an hour passes without a run."
  type        = number
  default     = 7200

  validation {
    condition     = var.compaction_lag_alarm_seconds > 0
    error_message = "compaction_lag_alarm_seconds must be greater than 0."
  }
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
    # One commit (and a BatchCreatePartition for a new day) per silver file; idempotent, so
    # throttled events just retry. A scheduled compaction run holds one of the two for up to
    # registrar_timeout_seconds; appends keep the other.
    registrar = 2
    # Ad-hoc queries and the scheduled gold refresh.
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

variable "registrar_memory_mb" {
  description = "Registrar: memory in MB. The default, 1,769 MB, is one full vCPU (Lambda's CPU share grows with memory): compaction decodes and re-encodes a partition's Parquet, which is CPU-bound, and holds one input file and an index of the partition's event ids in memory."
  type        = number
  default     = 1769

  validation {
    condition     = var.registrar_memory_mb >= 128 && var.registrar_memory_mb <= 10240 && floor(var.registrar_memory_mb) == var.registrar_memory_mb
    error_message = "registrar_memory_mb must be a whole number between 128 and 10240."
  }
}

variable "registrar_timeout_seconds" {
  description = "Registrar: function timeout in seconds. An S3 event (footer reads, one commit, one Glue call) takes seconds; the scheduled compaction run compacts every due partition and garbage-collects silver and gold, hence the default of 900 (the maximum)."
  type        = number
  default     = 900

  validation {
    condition     = var.registrar_timeout_seconds >= 60 && var.registrar_timeout_seconds <= 900
    error_message = "registrar_timeout_seconds must be between 60 and 900."
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
  description = "Run the incremental gold refresh on gold_refresh_schedule ({\"refresh_gold\": true} to the query-runner: of the last 7 closed days, UTC, the ones whose silver changed since their last gold commit, or whose arrivals had not settled, are recomputed with Athena UNLOAD and committed to each day's symlink manifest). On by default. A run in which no input changed runs no query; docs/cost.md prices the rest."
  type        = bool
  default     = true
}

variable "gold_refresh_schedule" {
  description = "EventBridge schedule expression of the gold refresh. Default: daily at 01:15 UTC, after the day has closed and settled, which publishes each closed day within about an hour and a quarter and costs about $0.002 per million events (docs/cost.md, \"Gold refresh\"). An hourly schedule (rate(1 hour)) publishes late data for closed days within the hour, but every hour with late data recomputes them again: several times the cost."
  type        = string
  default     = "cron(15 1 * * ? *)"

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.gold_refresh_schedule))
    error_message = "gold_refresh_schedule must be an EventBridge schedule expression: rate(...) or cron(...)."
  }
}

variable "gold_refresh_open_day" {
  description = "Also refresh today (UTC), which is still filling, on every run of the gold schedule (with an hourly gold_refresh_schedule, for intraday gold). Off by default: today changes all the time, so every run recomputes it, and each run reads yesterday too (sessions crossing midnight); docs/cost.md, \"Gold refresh\", prices it."
  type        = bool
  default     = false
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
