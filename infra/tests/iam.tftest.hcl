# Least privilege: every statement of every role is pinned here, so widening a policy is a
# visible change to this file. Plus invariants that hold for all roles.

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

run "each_role_allows_only_its_needs" {
  command = plan

  assert {
    condition = jsonencode([for s in jsondecode(aws_iam_role_policy.lambda["generator"].policy).Statement :
      [s.Sid, sort(flatten([s.Action])), sort(flatten([s.Resource]))]
      if !contains(["OwnLogGroup", "XRayTraces", "OnFailureDestination", "DecryptWithLakeKey", "EncryptWithLakeKeyViaServices"], s.Sid)
      ]) == jsonencode([
      ["PutRecordsToTheStream", ["firehose:PutRecordBatch"], ["arn:aws:firehose:us-east-1:123456789012:deliverystream/streamlake-playback"]],
      ["WriteTheTitleDimension", ["s3:PutObject"], ["arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/netflix_titles/titles.snappy.parquet"]],
    ])
    error_message = "The generator may only PutRecordBatch to its stream and write the title dimension."
  }

  assert {
    condition = jsonencode([for s in jsondecode(aws_iam_role_policy.lambda["transformer"].policy).Statement :
      [s.Sid, sort(flatten([s.Action])), sort(flatten([s.Resource])), jsonencode(try(s.Condition, null))]
      if !contains(["OwnLogGroup", "XRayTraces", "OnFailureDestination", "DecryptWithLakeKey", "EncryptWithLakeKeyViaServices"], s.Sid)
      ]) == jsonencode([
      ["ReadRawObjects", ["s3:GetObject"], ["arn:aws:s3:::streamlake-raw-123456789012-us-east-1/raw/netflix/*"], "null"],
      ["ReadAndWriteLedgers", ["s3:GetObject", "s3:PutObject"], ["arn:aws:s3:::streamlake-raw-123456789012-us-east-1/ledger/netflix/*"], "null"],
      ["WriteQuarantineAndSilver", ["s3:AbortMultipartUpload", "s3:PutObject"], [
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_partitioned/*",
        "arn:aws:s3:::streamlake-raw-123456789012-us-east-1/quarantine/netflix/quarantine/*",
      ], "null"],
      ["MissingLedgerIs404", ["s3:ListBucket"], ["arn:aws:s3:::streamlake-raw-123456789012-us-east-1"],
      jsonencode({ StringLikeIfExists = { "s3:prefix" = ["ledger/netflix/*"] } })],
    ])
    error_message = "The transformer may read raw objects, read/write ledgers, write quarantine and silver, and list only for ledger 404s."
  }

  assert {
    condition = jsonencode([for s in jsondecode(aws_iam_role_policy.lambda["registrar"].policy).Statement :
      [s.Sid, sort(flatten([s.Action])), sort(flatten([s.Resource])), jsonencode(try(s.Condition, null))]
      if !contains(["OwnLogGroup", "XRayTraces", "OnFailureDestination", "DecryptWithLakeKey", "EncryptWithLakeKeyViaServices"], s.Sid)
      ]) == jsonencode([
      ["AddPartitionsToLakeTables", ["glue:BatchCreatePartition", "glue:GetTable"], [
        "arn:aws:glue:us-east-1:123456789012:catalog",
        "arn:aws:glue:us-east-1:123456789012:database/netflix-streams-aws",
        "arn:aws:glue:us-east-1:123456789012:table/netflix-streams-aws/processed_netflix_events",
        "arn:aws:glue:us-east-1:123456789012:table/netflix-streams-aws/quarantined_netflix_events",
      ], "null"],
      ["ReadSilverFiles", ["s3:GetObject"], [
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_compacted/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_partitioned/*",
      ], "null"],
      ["WriteCompactedSilver", ["s3:AbortMultipartUpload", "s3:PutObject"], [
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_compacted/*",
      ], "null"],
      ["CommitSilverAndGold", ["s3:GetObject", "s3:PutObject"], [
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/commit_log/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/commits/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/manifests/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_commit_log/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_commits/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_manifests/*",
      ], "null"],
      ["DeleteRemovedFiles", ["s3:DeleteObject"], [
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/*/unload/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_compacted/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_partitioned/*",
      ], "null"],
      ["ListCommits", ["s3:ListBucket"], ["arn:aws:s3:::streamlake-processed-123456789012-us-east-1"],
        jsonencode({ StringLikeIfExists = { "s3:prefix" = [
          "processed/netflix/processed_commits/*", "processed/netflix/processed_commit_log/*", "gold/netflix/commits/*", "gold/netflix/commit_log/*",
      ] } })],
    ])
    error_message = "The registrar may add silver and quarantine partitions, read silver files, write compacted files, commit silver and gold, delete removed data files, and list the commits."
  }

  assert {
    condition = jsonencode([for s in jsondecode(aws_iam_role_policy.lambda["query-runner"].policy).Statement :
      [s.Sid, sort(flatten([s.Action])), sort(flatten([s.Resource])), jsonencode(try(s.Condition, null))]
      if !contains(["OwnLogGroup", "XRayTraces", "OnFailureDestination", "DecryptWithLakeKey", "EncryptWithLakeKeyViaServices"], s.Sid)
      ]) == jsonencode([
      ["RunQueriesInTheWorkgroup", ["athena:GetQueryExecution", "athena:GetQueryResults", "athena:StartQueryExecution", "athena:StopQueryExecution"],
      ["arn:aws:athena:us-east-1:123456789012:workgroup/streamlake"], "null"],
      ["ReadTheCatalog", ["glue:BatchGetPartition", "glue:GetDatabase", "glue:GetPartition", "glue:GetPartitions", "glue:GetTable", "glue:GetTables"], [
        "arn:aws:glue:us-east-1:123456789012:catalog",
        "arn:aws:glue:us-east-1:123456789012:database/netflix-streams-aws",
        "arn:aws:glue:us-east-1:123456789012:table/netflix-streams-aws/*",
      ], "null"],
      ["AddGoldPartitions", ["glue:BatchCreatePartition", "glue:CreatePartition"], [
        "arn:aws:glue:us-east-1:123456789012:catalog",
        "arn:aws:glue:us-east-1:123456789012:database/netflix-streams-aws",
        "arn:aws:glue:us-east-1:123456789012:table/netflix-streams-aws/daily_data_quality",
        "arn:aws:glue:us-east-1:123456789012:table/netflix-streams-aws/daily_engagement_by_country_device",
        "arn:aws:glue:us-east-1:123456789012:table/netflix-streams-aws/daily_event_types",
        "arn:aws:glue:us-east-1:123456789012:table/netflix-streams-aws/daily_playback_quality",
        "arn:aws:glue:us-east-1:123456789012:table/netflix-streams-aws/daily_quarantine_reasons",
        "arn:aws:glue:us-east-1:123456789012:table/netflix-streams-aws/daily_title_engagement",
        "arn:aws:glue:us-east-1:123456789012:table/netflix-streams-aws/daily_ttfh_distribution",
      ], "null"],
      ["ReadLakeTables", ["s3:GetObject"], [
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/netflix_titles/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_compacted/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_manifests/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_partitioned/*",
        "arn:aws:s3:::streamlake-raw-123456789012-us-east-1/ledger/netflix/*",
        "arn:aws:s3:::streamlake-raw-123456789012-us-east-1/quarantine/netflix/quarantine/*",
      ], "null"],
      ["ReadSilverCommitStates", ["s3:GetObject"], ["arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_commits/*"], "null"],
      ["ListProcessedTableLocations", ["s3:ListBucket"], ["arn:aws:s3:::streamlake-processed-123456789012-us-east-1"],
        jsonencode({ StringLike = { "s3:prefix" = [
          "processed/netflix/processed_manifests/*", "processed/netflix/netflix_titles/*", "gold/netflix/manifests/*", "gold/netflix/*/unload/*",
      ] } })],
      ["ListRawTableLocations", ["s3:ListBucket"], ["arn:aws:s3:::streamlake-raw-123456789012-us-east-1"],
      jsonencode({ StringLike = { "s3:prefix" = ["quarantine/netflix/quarantine/*", "ledger/netflix/*"] } })],
      ["UnloadGold", ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"],
      ["arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/*/unload/*"], "null"],
      ["CommitGold", ["s3:GetObject", "s3:PutObject"], [
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/commit_log/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/commits/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/manifests/*",
      ], "null"],
      ["ListGoldCommits", ["s3:ListBucket"], ["arn:aws:s3:::streamlake-processed-123456789012-us-east-1"],
      jsonencode({ StringLikeIfExists = { "s3:prefix" = ["gold/netflix/commits/*", "gold/netflix/commit_log/*"] } })],
      ["LocateLakeBuckets", ["s3:GetBucketLocation"], [
        "arn:aws:s3:::streamlake-athena-results-123456789012-us-east-1",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1",
        "arn:aws:s3:::streamlake-raw-123456789012-us-east-1",
      ], "null"],
      ["WriteQueryResults", ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"],
      ["arn:aws:s3:::streamlake-athena-results-123456789012-us-east-1/results/*"], "null"],
      ["ListQueryResults", ["s3:ListBucket", "s3:ListBucketMultipartUploads"], ["arn:aws:s3:::streamlake-athena-results-123456789012-us-east-1"], "null"],
    ])
    error_message = "The query-runner may run queries in its workgroup, read the catalog and the lake tables (symlink manifests and their files, not bronze), add gold partitions, UNLOAD and commit gold (no deletes), read silver commit states, and write results."
  }

  assert {
    # The statements every function shares, with its own log group.
    condition = alltrue([for fn in ["generator", "transformer", "registrar", "query-runner"] :
      jsonencode([for s in jsondecode(aws_iam_role_policy.lambda[fn].policy).Statement :
        [s.Sid, sort(flatten([s.Action])), sort(flatten([s.Resource])), jsonencode(try(s.Condition, null))]
        if contains(["OwnLogGroup", "XRayTraces", "OnFailureDestination", "DecryptWithLakeKey", "EncryptWithLakeKeyViaServices"], s.Sid)
        ]) == jsonencode([
        ["OwnLogGroup", ["logs:CreateLogStream", "logs:PutLogEvents"], ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/streamlake-${fn}:*"], "null"],
        ["XRayTraces", ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], ["*"], "null"],
        ["OnFailureDestination", ["sqs:SendMessage"], ["arn:aws:sqs:us-east-1:123456789012:streamlake-lambda-failures"], "null"],
        ["DecryptWithLakeKey", ["kms:Decrypt"], [aws_kms_key.lake.arn], "null"],
        ["EncryptWithLakeKeyViaServices", ["kms:GenerateDataKey"], [aws_kms_key.lake.arn], jsonencode({ StringEquals = { "kms:ViaService" = (
          contains(["generator", "transformer", "registrar", "query-runner"], fn) ? ["s3.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"] : ["sqs.us-east-1.amazonaws.com"]
        ) } })],
      ])
    ])
    error_message = "Shared statements: own log group, X-Ray, the on-failure queue, and the lake key (data keys only via S3 for the writers, the registrar now among them, and SQS)."
  }

  assert {
    condition = jsonencode([for s in jsondecode(aws_iam_role_policy.firehose.policy).Statement :
      [s.Sid, sort(flatten([s.Action])), sort(flatten([s.Resource])), jsonencode(try(s.Condition, null))]
      ]) == jsonencode([
      ["WriteRawPrefixOnly", ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"], [
        "arn:aws:s3:::streamlake-raw-123456789012-us-east-1/raw/errors/*",
        "arn:aws:s3:::streamlake-raw-123456789012-us-east-1/raw/netflix/*",
      ], "null"],
      ["RawBucketLevel", ["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"], ["arn:aws:s3:::streamlake-raw-123456789012-us-east-1"], "null"],
      ["ListRawPrefixOnly", ["s3:ListBucket"], ["arn:aws:s3:::streamlake-raw-123456789012-us-east-1"],
      jsonencode({ StringLike = { "s3:prefix" = ["raw/netflix/*", "raw/errors/*"] } })],
      ["EncryptRawObjects", ["kms:Decrypt", "kms:GenerateDataKey"], [aws_kms_key.lake.arn],
      jsonencode({ StringEquals = { "kms:ViaService" = "s3.us-east-1.amazonaws.com" } })],
      ["DeliveryErrorLogs", ["logs:PutLogEvents"], ["${aws_cloudwatch_log_group.firehose.arn}:log-stream:DestinationDelivery"], "null"],
    ])
    error_message = "Firehose may write only the raw/ prefix of the raw bucket (and its error log stream)."
  }
}

run "no_wildcards_on_data" {
  command = plan

  assert {
    condition = alltrue([for p in concat([for r in aws_iam_role_policy.lambda : r.policy], [aws_iam_role_policy.firehose.policy]) :
      alltrue([for s in jsondecode(p).Statement : alltrue([for a in flatten([s.Action]) : !strcontains(a, "*")])])
    ])
    error_message = "No role may use a wildcard action."
  }

  assert {
    condition = alltrue([for p in concat([for r in aws_iam_role_policy.lambda : r.policy], [aws_iam_role_policy.firehose.policy]) :
      alltrue([for s in jsondecode(p).Statement :
        !contains(flatten([s.Resource]), "*") || alltrue([for a in flatten([s.Action]) : startswith(a, "xray:")])
      ])
    ])
    error_message = "Resource \"*\" is allowed only for X-Ray, which has no resource-level permissions."
  }

  assert {
    condition = alltrue([for p in concat([for r in aws_iam_role_policy.lambda : r.policy], [aws_iam_role_policy.firehose.policy]) :
      alltrue([for s in jsondecode(p).Statement : s.Effect == "Allow" && alltrue([for a in flatten([s.Action]) : !contains(["s3:DeleteObjectVersion", "s3:PutBucketPolicy", "glue:DeleteTable", "glue:DeletePartition", "glue:BatchDeletePartition", "iam:PassRole"], a)])])
    ])
    error_message = "No role may delete object versions, change bucket policies, drop catalog objects or pass roles."
  }

  assert {
    # The one delete in the stack: garbage collection of the committed tables' data files
    # (after the grace period), by the registrar. Never states, manifests or logs, never
    # bronze, quarantine or ledgers. Versioning keeps deleted objects for
    # noncurrent_version_retention_days.
    condition = jsonencode(flatten([for p in concat([for fn, r in aws_iam_role_policy.lambda : { role = fn, policy = r.policy }], [{ role = "firehose", policy = aws_iam_role_policy.firehose.policy }]) :
      [for s in jsondecode(p.policy).Statement : "${p.role} ${s.Sid} ${join(",", sort(flatten([s.Resource])))}" if contains(flatten([s.Action]), "s3:DeleteObject")]
      ])) == jsonencode([
      "registrar DeleteRemovedFiles arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/*/unload/*,arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_compacted/*,arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_partitioned/*",
    ])
    error_message = "Only the registrar may delete objects, and only silver and gold data files (garbage collection)."
  }

  assert {
    # processed_partitioned/ is the registrar's trigger: only the transformer writes there, so
    # nothing the registrar (or the query-runner) writes can invoke it again. Silver's
    # commits and compacted files are the registrar's alone.
    condition = jsonencode({ for fn, r in aws_iam_role_policy.lambda : fn => sort(distinct(flatten([for s in jsondecode(r.policy).Statement :
      [for res in flatten([s.Resource]) : res if strcontains(res, ":s3:::streamlake-processed-")]
      if contains(flatten([s.Action]), "s3:PutObject")
      ]))) }) == jsonencode({
      generator = ["arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/netflix_titles/titles.snappy.parquet"]
      query-runner = [
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/*/unload/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/commit_log/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/commits/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/manifests/*",
      ]
      registrar = [
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/commit_log/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/commits/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/gold/netflix/manifests/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_commit_log/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_commits/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_compacted/*",
        "arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_manifests/*",
      ]
      transformer = ["arn:aws:s3:::streamlake-processed-123456789012-us-east-1/processed/netflix/processed_partitioned/*"]
    })
    error_message = "Writes to the processed bucket: the transformer only processed_partitioned/ (the registrar's trigger), the registrar silver commits and compacted files (and gold commits for garbage collection), the query-runner gold, the generator the title file."
  }

  assert {
    # Bronze holds PII: only the transformer (and Firehose, which writes it) may read raw/netflix/.
    condition = alltrue([for fn in ["generator", "registrar", "query-runner"] :
      alltrue([for s in jsondecode(aws_iam_role_policy.lambda[fn].policy).Statement :
        alltrue([for r in flatten([s.Resource]) : !strcontains(r, "/raw/")])
      ])
    ])
    error_message = "Only the transformer may read bronze."
  }
}

run "trust_policies" {
  command = plan

  assert {
    condition = alltrue([for r in aws_iam_role.lambda :
      jsondecode(r.assume_role_policy).Statement == [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
    ])
    error_message = "Lambda roles may be assumed by Lambda only."
  }

  assert {
    condition = jsondecode(aws_iam_role.firehose.assume_role_policy).Statement == [{
      Effect    = "Allow"
      Principal = { Service = "firehose.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "sts:ExternalId" = "123456789012" } }
    }]
    error_message = "The Firehose role may be assumed by Firehose for this account only."
  }

  assert {
    condition = alltrue([for s in jsondecode(aws_kms_key.lake.policy).Statement :
      s.Principal != "*" && try(s.Principal.AWS, "") != "*"
    ])
    error_message = "The key policy must not grant to Principal *."
  }

  assert {
    condition     = [for s in jsondecode(aws_kms_key.lake.policy).Statement : s.Sid] == ["AccountIAMDelegation", "CloudWatchLogsForStreamLakeLogGroups", "CloudWatchAlarmsToEncryptedTopic"]
    error_message = "The key policy delegates to IAM and lets only CloudWatch Logs (StreamLake log groups) and CloudWatch alarms use the key directly."
  }
}
