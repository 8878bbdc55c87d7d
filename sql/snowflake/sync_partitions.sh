#!/usr/bin/env bash
#
# Keeps the StreamLake gold external tables in Snowflake on the files each day's commit names
# (sql/snowflake/README.md, "Keeping the tables current").
#
# A gold day is exactly the files its commit state lists,
# s3://<processed_bucket>/gold/netflix/commits/<table>/<col>=<day>.json, and they all lie in one
# directory (gold/netflix/<table>/unload/<run>/<first day>/<col>=<day>/ on AWS). Superseded directories
# stay in S3 until garbage collection deletes them, so the external tables have user-specified
# partitions: one per day, at the committed directory. This script compares the commit states
# with what it last synced and prints, for each day whose directory changed:
#
#   ALTER EXTERNAL TABLE <table> ADD PARTITION (<col> = '<day>') LOCATION '<new directory>';
#   ALTER EXTERNAL TABLE <table> DROP PARTITION LOCATION '<old directory>';
#
# (directories relative to the table's stage location gold/netflix/<table>/). Before adding a
# directory it checks that the directory holds exactly the committed files: Snowflake registers
# every file under the location.
#
# Three steps, so that the state file records only SQL that Snowflake applied:
#
#   sync_partitions.sh <processed_bucket> > sync.sql    # plan: SQL on stdout, <state>.pending
#   snowsql -c <connection> -o exit_on_error=true -f sync.sql
#   sync_partitions.sh --commit sync.sql                # only after snowsql succeeded
#
# Needs bash, the AWS CLI and jq. The AWS credentials need s3:ListBucket on gold/netflix/,
# s3:GetObject on gold/netflix/commits/* and kms:Decrypt with the StreamLake key.

# The single-quoted strings with $names in them are jq programs.
# shellcheck disable=SC2016

set -euo pipefail
shopt -s nullglob

readonly PROG=${0##*/}

# The gold tables and their partition columns (docs/data_model.md, "Gold").
readonly GOLD=(
  daily_title_engagement=event_date
  daily_engagement_by_country_device=event_date
  daily_playback_quality=event_date
  daily_ttfh_distribution=event_date
  daily_event_types=event_date
  daily_data_quality=ingest_date
  daily_quarantine_reasons=ingest_date
)

state=${STATE:-.streamlake-snowflake-sync.json}
cache=${CACHE:-.streamlake-snowflake-sync.cache}
schema=streamlake.gold
role=streamlake_gold_owner
order=add-first
applied_sql=
commit=false
bucket=
tmp=

usage() {
  cat <<EOF
Usage: $PROG [options] <processed_bucket>     plan: print the SQL, write <state>.pending
       $PROG [options] --commit <sql_file>    record the plan in <sql_file> as applied

Prints the Snowflake SQL that moves each gold day's partition to the directory its commit
names (sql/snowflake/README.md). Apply it with snowsql -o exit_on_error=true, then run
--commit with the same file; if snowsql failed, do not commit (README: "When a sync fails").

Options:
  --state FILE    what the last committed sync registered
                  (default: \$STATE or .streamlake-snowflake-sync.json)
  --cache DIR     local copy of the commit states
                  (default: \$CACHE or .streamlake-snowflake-sync.cache)
  --schema NAME   schema of the external tables (default: streamlake.gold)
  --role NAME     role that owns them (default: streamlake_gold_owner)
  --drop-first    drop a day's old location before adding the new one: while the two
                  statements run, the day is missing instead of counted twice
  -h, --help      this message
EOF
}

die() {
  printf '%s: %s\n' "$PROG" "$*" >&2
  exit 1
}

cleanup() {
  if [[ -n $tmp ]]; then
    rm -rf -- "$tmp"
  fi
}

# Reads a state file (or a pending plan) and prints its table map; fails on anything else.
readonly STATE_JQ='
  def day: test("^[0-9]{4}-[0-9]{2}-[0-9]{2}$");
  def directory: test("^[A-Za-z0-9._=-]+(/[A-Za-z0-9._=-]+)*/$");
  if .format != 1 then error("not a sync state (format \(.format | tojson))")
  elif .bucket != $bucket then error("synced from bucket \(.bucket | tojson), not \($bucket | tojson)")
  elif (.tables | type) != "object" then error("no table map")
  elif all(.tables[]; type == "object"
           and all(to_entries[]; (.key | day) and (.value | type) == "string" and (.value | directory)))
  then .tables
  else error("a day or a directory is malformed")
  end'

# Reads the commit states of one table ($table, partition column $key, stage prefix $prefix)
# and prints {table: {day: directory relative to $prefix, or null for a day without rows}}.
# $listing holds the keys of every object under $prefix: a directory must hold exactly the
# committed files.
readonly DAYS_JQ='
  def directory: test("^[A-Za-z0-9._=-]+(/[A-Za-z0-9._=-]+)*/$");
  # The keys of the sorted array $objects that start with $dir.
  def under($objects; $dir):
    ($objects | bsearch($dir)) as $found
    | (if $found < 0 then -1 - $found else $found end) as $from
    | (first(range($from; $objects | length) | select($objects[.] | startswith($dir) | not))
       // ($objects | length)) as $to
    | $objects[$from:$to];

  (($listing[0] // []) | map(select(endswith("/") | not)) | sort) as $objects
  | {($table): (reduce inputs as $s ({};
      input_filename as $file
      | ([$s.files[]?.key] | sort) as $keys
      | ($keys | map(sub("[^/]*$"; "")) | unique) as $dirs
      | if $s.format != 1 then
          error("\($file): commit state format \($s.format | tojson), expected 1")
        elif $s.table != $table or $s.partition_key != $key then
          error("\($file): a state of \($s.table) \($s.partition_key), expected \($table) \($key)")
        elif ($s.partition_value | type) != "string"
             or ($s.partition_value | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}$") | not) then
          error("\($file): partition value \($s.partition_value | tojson) is not a day")
        elif ($dirs | length) == 0 then
          .[$s.partition_value] = null
        elif ($dirs | length) > 1 then
          error("\($file): the live files lie in \($dirs | length) directories (\($dirs | join(", "))); a partition location is one")
        elif ($dirs[0] | startswith($prefix) | not) then
          error("\($file): \($dirs[0]) is outside \($prefix)")
        elif ($dirs[0] | ltrimstr($prefix) | directory | not) then
          error("\($file): \($dirs[0]) has characters this script does not quote")
        else
          under($objects; $dirs[0]) as $present
          | if $present != $keys then
              error("\($file): \($dirs[0]) holds \($present - $keys | length) object(s) the commit does not list and lacks \($keys - $present | length) it lists; Snowflake would register the directory as it is")
            else
              .[$s.partition_value] = ($dirs[0] | ltrimstr($prefix))
            end
        end))}'

# Compares the synced map $old[0] with the committed map $new[0] and prints the statements, the
# counts and the map to record. Days and directories are validated above, so quoting them with
# $q (a single quote) is safe.
readonly PLAN_JQ='
  $old[0] as $old
  | $new[0] as $new
  | [ $new | keys[] as $t
      | ($old[$t] // {}) as $o
      | $new[$t] as $n
      | (($o | keys) + ($n | keys) | unique)[] as $d
      | if ($o | has($d)) and ($n | has($d) | not) then
          error("\($t) \($d): synced at \($o[$d]), but its commit state is gone; StreamLake never deletes commit states: check the bucket and the cache")
        else . end
      | select($o[$d] != $n[$d])
      | {table: $t, day: $d, from: $o[$d], to: $n[$d]} ] as $changes
  | {
      sql: [ $changes[]
             | [ if .to then "ALTER EXTERNAL TABLE \(.table) ADD PARTITION (\($keys[.table]) = \($q)\(.day)\($q)) LOCATION \($q)\(.to)\($q);" else empty end ] as $add
             | [ if .from then "ALTER EXTERNAL TABLE \(.table) DROP PARTITION LOCATION \($q)\(.from)\($q);" else empty end ] as $drop
             | (if $order == "drop-first" then $drop + $add else $add + $drop end)[] ],
      added: [ $changes[] | select(.from == null) ] | length,
      moved: [ $changes[] | select(.from != null and .to != null) ] | length,
      dropped: [ $changes[] | select(.to == null) ] | length,
      tables: ($new | map_values(with_entries(select(.value != null))))
    }'

plan() {
  local entry table key keys listing plan_id
  local -a states

  bucket=${bucket#s3://}
  bucket=${bucket%/}
  local bucket_name='^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$'
  local identifier='^[A-Za-z_][A-Za-z0-9_]*$'
  local schema_name='^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$'
  [[ $bucket =~ $bucket_name ]] || die "$bucket is not an S3 bucket name"
  [[ $schema =~ $schema_name ]] || die "--schema $schema: an unquoted [database.]schema name"
  [[ $role =~ $identifier ]] || die "--role $role: an unquoted role name"

  tmp=$(mktemp -d)
  trap cleanup EXIT
  export AWS_PAGER=""

  # The commit states, copied incrementally. --exact-timestamps: a state rewritten with the
  # same size is copied again (by default the CLI skips same-sized files that are older locally).
  mkdir -p -- "$cache"
  aws s3 sync "s3://$bucket/gold/netflix/commits/" "$cache/" \
    --exact-timestamps --delete --only-show-errors >&2

  if [[ -e $state ]]; then
    jq --arg bucket "$bucket" "$STATE_JQ" "$state" >"$tmp/old.json" ||
      die "$state is not a sync state for $bucket (README: \"When a sync fails\")"
  else
    printf '{}\n' >"$tmp/old.json"
  fi

  keys='{}'
  for entry in "${GOLD[@]}"; do
    table=${entry%%=*}
    key=${entry#*=}
    keys=$(jq -c --arg t "$table" --arg k "$key" '. + {($t): $k}' <<<"$keys")
    listing="$tmp/objects-$table.json"
    aws s3api list-objects-v2 --bucket "$bucket" --prefix "gold/netflix/$table/" \
      --query 'Contents[].Key' --output json >"$listing"
    states=("$cache/$table"/*.json)
    jq -n --arg table "$table" --arg key "$key" --arg prefix "gold/netflix/$table/" \
      --slurpfile listing "$listing" "$DAYS_JQ" ${states[@]+"${states[@]}"} \
      </dev/null >"$tmp/new-$table.json"
  done
  jq -s 'add' "$tmp"/new-*.json >"$tmp/new.json"

  jq -n --slurpfile old "$tmp/old.json" --slurpfile new "$tmp/new.json" \
    --argjson keys "$keys" --arg order "$order" --arg q "'" "$PLAN_JQ" >"$tmp/plan.json"

  plan_id="$(jq -nr 'now | todate')-$$-$RANDOM"
  {
    printf -- '-- StreamLake gold partitions for Snowflake (sql/snowflake/sync_partitions.sh)\n'
    printf -- '-- plan: %s\n' "$plan_id"
    jq -r '"-- \(.added) day(s) to add, \(.moved) to move, \(.dropped) to drop"' "$tmp/plan.json"
    printf -- '-- from s3://%s/gold/netflix/commits/, against %s\n' "$bucket" "$state"
    printf -- '-- Apply with snowsql -o exit_on_error=true, then: %s --commit <this file>\n' "$PROG"
    printf 'USE ROLE %s;\nUSE SCHEMA %s;\n' "$role" "$schema"
    jq -r '.sql[]' "$tmp/plan.json"
  }
  jq --arg bucket "$bucket" --arg plan "$plan_id" \
    '{format: 1, bucket: $bucket, plan: $plan, tables: .tables}' \
    "$tmp/plan.json" >"$state.pending"
  jq -r --arg prog "$PROG" --arg pending "$state.pending" \
    '"\($prog): \(.added) day(s) to add, \(.moved) to move, \(.dropped) to drop; plan in \($pending)"' \
    "$tmp/plan.json" >&2
}

commit_plan() {
  local pending=$state.pending line applied='' planned
  [[ -e $pending ]] || die "no pending plan $pending: plan first"
  [[ -r $applied_sql ]] || die "cannot read $applied_sql"
  while IFS= read -r line; do
    if [[ $line == '-- plan: '* ]]; then
      applied=${line#'-- plan: '}
      break
    fi
  done <"$applied_sql"
  planned=$(jq -r '.plan' "$pending")
  [[ -n $applied && $applied == "$planned" ]] ||
    die "$applied_sql is plan ${applied:-?}, but $pending is plan $planned: plan again and apply that SQL"
  mv -f -- "$pending" "$state"
  printf '%s: %s records plan %s\n' "$PROG" "$state" "$planned" >&2
}

while (($# > 0)); do
  case $1 in
    --state | --cache | --schema | --role | --commit)
      (($# >= 2)) || die "$1 needs a value"
      case $1 in
        --state) state=$2 ;;
        --cache) cache=$2 ;;
        --schema) schema=$2 ;;
        --role) role=$2 ;;
        --commit)
          commit=true
          applied_sql=$2
          ;;
      esac
      shift 2
      ;;
    --drop-first)
      order=drop-first
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    -*)
      usage >&2
      die "unknown option $1"
      ;;
    *)
      [[ -z $bucket ]] || die "one bucket, not $bucket and $1"
      bucket=$1
      shift
      ;;
  esac
done

if [[ $commit == true ]]; then
  [[ -z $bucket ]] || die "--commit takes no bucket"
  commit_plan
elif [[ -n $bucket ]]; then
  plan
else
  usage >&2
  exit 2
fi
