#!/usr/bin/env bash
# fuzz-campaign.sh [EXECS] [TARGET...] is the long codec fuzz campaign (issue 15,
# item 7), run outside CI: every go test -fuzz target of the module (or only the
# TARGETs named, e.g. FuzzVariant) runs until it reaches EXECS executions
# (default 10,000,000). The bound is a count (-fuzztime=EXECSx), not a time, so
# a slow machine takes longer instead of doing less. Each target runs alone with
# one worker (-parallel=1) under nice -n ${FUZZ_NICE:-15}: the campaign shares its
# machine. Runs that only hit Go 1.26's -fuzztime deadline race are repeated
# once (ci/lib/fuzz.sh, shared with CI's short run ci/fuzz.sh).
#
# For each target it records executions, wall and fuzzing time, execs/s, the
# new interesting inputs the go tool reported, the size of the generated corpus
# ($(go env GOCACHE)/fuzz/<pkg>/<Target>) and of the committed one
# (<pkg>/testdata/fuzz/<Target>) before and after, how long plain go test takes
# to replay the committed corpus, and any failure (a failing input is written
# by the go tool to testdata/fuzz/<Target>/ and makes plain go test fail until
# it is fixed). Results are merged, target by target, into
# docs/evidence/fuzz-campaign-<UTC date>.json, and the .md next to it is
# generated from that JSON: run the targets one at a time or all at once.
#
# The corpus the go tool grows is kept in testdata so plain go test replays it,
# but kept small: for each target the newest generated inputs (the go tool finds
# the easy edges first, so the late finds are the ones that reach deeper) that
# are not committed yet are copied, skipping any over FUZZ_KEEP_MAX_FILE bytes
# (default 64 KiB), until the target's committed corpus holds FUZZ_KEEP_FILES
# files (default 200) or this run has added FUZZ_KEEP_BYTES bytes (default
# 256 KiB). To refresh a full corpus, delete its files and run again. Logs go
# to out/fuzz-campaign/<Target>.log. Needs jq.
#
# FUZZ_STOP_AT (a time date -d understands, e.g. 22:35 or an ISO time) bounds
# a campaign that must end by a deadline: at that time the running target's
# fuzz coordinator is interrupted (SIGINT, which stops it cleanly and prints
# its final count), the target is recorded as stopped short of its count, and
# targets not started yet are skipped. Counts are never extrapolated.
#
# FUZZ_MINIMIZE, if set, is passed as -fuzzminimizetime (the go tool's default
# is 60s per new interesting input, during which the count does not advance:
# on targets with large inputs, such as pcaps, minimizing can take most of the
# run). The command recorded for each target shows it.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/lib/fuzz.sh

execs=${1:-10000000}
[[ $# -gt 0 ]] && shift
if ! [[ $execs =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [EXECS] [TARGET...]" >&2
  exit 2
fi
command -v jq >/dev/null || { echo "fuzz-campaign: needs jq" >&2; exit 1; }
nice_n=${FUZZ_NICE:-15}
keep_files=${FUZZ_KEEP_FILES:-200}
keep_bytes=${FUZZ_KEEP_BYTES:-262144}
keep_max_file=${FUZZ_KEEP_MAX_FILE:-65536}
day=$(date -u +%F)
out=docs/evidence/fuzz-campaign-$day
logs=out/fuzz-campaign
mkdir -p "$logs" docs/evidence
cache=$(go env GOCACHE)/fuzz
stop_at=""
if [[ -n "${FUZZ_STOP_AT:-}" ]]; then
  stop_at=$(date -d "$FUZZ_STOP_AT" +%s)
fi

# count prints the number of files in directory $1, 0 if it does not exist.
count() {
  if [[ -d "$1" ]]; then find "$1" -type f | wc -l; else echo 0; fi
}

# seconds prints a Go duration as printed by the fuzz coordinator ("1h2m3s",
# "34s") in seconds.
seconds() {
  awk -v d="$1" 'BEGIN {
    s = 0
    while (match(d, /^[0-9.]+(h|ms|m|s)/)) {
      tok = substr(d, 1, RLENGTH); d = substr(d, RLENGTH + 1)
      n = tok + 0; u = tok; sub(/^[0-9.]+/, "", u)
      s += n * (u == "h" ? 3600 : u == "m" ? 60 : u == "ms" ? 0.001 : 1)
    }
    print s
  }'
}

# dirty reports whether any non-standard package that $1 builds from has
# uncommitted changes to its Go files, so the commit recorded is not the whole
# truth about the code fuzzed.
dirty() {
  local d
  for d in $(go list -deps -test -f '{{if not .Standard}}{{.Dir}}{{end}}' "$1" | sort -u); do
    if [[ -n "$(git status --porcelain --untracked-files=no -- "$d"/*.go 2>/dev/null)" ]]; then
      return 0
    fi
  done
  return 1
}

# descendants prints the ids of every process below process $1.
descendants() {
  local c
  for c in $(pgrep -P "$1" || true); do
    echo "$c"
    descendants "$c"
  done
}

# watchdog waits until epoch $1, then interrupts the fuzz coordinator among
# this script's descendants (the test binary that is not a -test.fuzzworker)
# and records its id in $2.
watchdog() {
  local p args
  while (( $(date +%s) < $1 )); do sleep 5; done
  for p in $(descendants "$$"); do
    args=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" || true)
    if [[ $args == *.test\ * && $args == *-test.fuzz=* && $args != *-test.fuzzworker* ]]; then
      echo "$p" >>"$2"
      kill -INT "$p" 2>/dev/null || true
    fi
  done
}

# keep copies target $1's generated inputs from cache dir $2 into testdata dir
# $3 as the header says, and prints "files bytes" added.
keep() {
  local have kept=0 bytes=0 size path name
  have=$(count "$3")
  if [[ -d "$2" ]]; then
    while read -r _ size path; do
      name=$(basename "$path")
      [[ -e "$3/$name" ]] && continue
      (( size > keep_max_file )) && continue
      (( have >= keep_files )) && break
      (( bytes + size > keep_bytes )) && continue
      mkdir -p "$3"
      cp "$path" "$3/$name"
      kept=$((kept + 1)) bytes=$((bytes + size)) have=$((have + 1))
    done < <(find "$2" -type f -printf '%T@ %s %p\n' | sort -rn)
  fi
  echo "$kept $bytes"
}

# markdown prints the summary page for the campaign JSON in $1.
markdown() {
  jq -r '
    def num: tostring as $s | ($s | length) as $n
      | [range(0; $n) | (if . > 0 and (($n - .) % 3 == 0) then "," else "" end) + $s[.:.+1]] | join("");
    def secs: if . >= 60 then "\(. / 60 | floor)m\(. % 60 | floor)s" else "\(. * 10 | round / 10)s" end;
    .execs_goal as $goal | .date as $day |
    ([.targets[].command | capture("nice -n (?<n>[0-9]+)").n] | unique) as $nices |
    "# Codec fuzz campaign, \(.date)",
    "",
    "Generated by `ci/fuzz-campaign.sh` from `\(.json)`; do not edit by hand.",
    "Goal (issue 15, item 7): every `go test -fuzz` target of the module run to at least \(.execs_goal | num) executions,",
    "one target at a time, one worker (`-parallel=1`), under \(if ($nices | length) == 1 then "`nice -n \($nices[0])`" else "`nice` (at the level its command below shows)" end) on a shared machine. The table says which did.",
    (if any(.targets[]; .started[0:10] != $day) then
      "Rows whose run began on another day than \($day) were carried over unchanged from that day'\''s campaign (`docs/evidence/fuzz-campaign-<day>.json`), so that this table has every target; the run and commit columns say when and on what code each ran."
     else empty end),
    "",
    "- Machine: \(.machine.cpu), \(.machine.cores) cores, \(.machine.os)",
    "- Go: \(.go)",
    "- Reproduce: `\(.reproduce)` (or name targets: `ci/fuzz-campaign.sh \(.execs_goal) FuzzVariant`)",
    "- Committed corpus per target: the newest generated inputs, at most \(.keep.files) files, \(.keep.bytes / 1024) KiB added per run, none over \(.keep.max_file / 1024) KiB",
    "",
    "| package | target | run (UTC) | execs | reached goal | fuzzing time | wall time | execs/s | new interesting | generated corpus before → after | committed corpus before → after (added, KiB) | plain go test replay | result | commit |",
    "|---|---|---|--:|---|--:|--:|--:|--:|--:|--:|--:|---|---|",
    (.targets[] |
      "| \(.package | sub("^github.com/qtro/qtro/"; "")) | \(.target) | \(.started[0:16] | sub("T"; " ")) | \(.execs | num) | \(if .execs >= $goal then "yes" elif .stopped_at_deadline then "**no**: stopped at the deadline" else "**no**" end) | \(.fuzz_seconds | secs) | \(.wall_seconds | secs) | \(.execs_per_sec | num) | \(.new_interesting) | \(.cache_before) → \(.cache_after) | \(.testdata_before) → \(.testdata_after) (+\(.kept_files), \(.kept_bytes / 1024 * 10 | round / 10)) | \(if .replay_seconds == null then "n/a" else "\(.replay_seconds)s" end) | \(if .result == "pass" then "pass" else "**FAIL**" end)\(if .tries > 1 then " (\(.tries) runs: deadline race)" else "" end) | \(.commit)\(if .source_dirty then " (dirty)" else "" end) |"),
    "",
    (if all(.targets[]; .execs >= $goal) then "Every target reached \($goal | num) executions."
     else "Below \($goal | num) executions: " + ([.targets[] | select(.execs < $goal) | "\(.target) (\(.execs | num)\(if .stopped_at_deadline then ", stopped at the deadline" else "" end))"] | join(", ")) + "." end),
    "",
    "Execs are the go tool'\''s count (-fuzztime=Nx counts the same executions). Fuzzing time is the coordinator'\''s own clock",
    "(baseline coverage, fuzzing, minimizing new inputs); wall time adds building the instrumented test binary.",
    "New interesting: inputs the go tool added to its generated corpus in that run.",
    "A command with `-fuzzminimizetime 0` ran without minimizing new inputs (FUZZ_MINIMIZE=0): on those targets almost every",
    "input of a new size is new coverage, and minimizing each one (60s by default) left the count nearly still.",
    "Plain go test replay: the target'\''s time under `go test -run ^Target$` with the committed corpus, after the run.",
    "",
    "## Findings",
    "",
    (if all(.targets[]; .result == "pass") then "No failures: no target found a crashing or failing input."
     else (.targets[] | select(.result != "pass") |
       "### \(.target) (\(.package))", "", "Failing input: `\(.failing_input // "none written")`", "", "```", .failure, "```", "")
     end),
    "",
    "## Commands",
    "",
    (.targets[] | "- \(.target): `\(.command)`")
  ' "$1"
}

targets=$(fuzz_targets)
if [[ $# -gt 0 ]]; then
  for t in "$@"; do
    grep -q " $t\$" <<<"$targets" || { echo "fuzz-campaign: no target $t" >&2; exit 2; }
  done
fi
machine=$(jq -n --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')" \
  --argjson cores "$(nproc)" --arg os "$(uname -srm)" '{cpu: $cpu, cores: $cores, os: $os}')
failed=0
while read -r pkg dir f; do
  if [[ $# -gt 0 ]] && ! printf '%s\n' "$@" | grep -qx "$f"; then
    continue
  fi
  if [[ -n $stop_at ]] && (( $(date +%s) >= stop_at )); then
    echo "fuzz-campaign: $f skipped: FUZZ_STOP_AT ($FUZZ_STOP_AT) has passed"
    continue
  fi
  cdir=$cache/$pkg/$f
  tdir=$dir/testdata/fuzz/$f
  log=$logs/$f.log
  cache_before=$(count "$cdir")
  td_before=$(count "$tdir")
  cmd=(nice -n "$nice_n" go test -run '^$' -fuzz "^${f}\$" -fuzztime "${execs}x" -parallel=1 -timeout 0)
  [[ -n "${FUZZ_MINIMIZE:-}" ]] && cmd+=(-fuzzminimizetime "$FUZZ_MINIMIZE")
  cmd+=("$pkg")
  started=$(date -u +%FT%TZ)
  commit=$(git rev-parse --short=12 HEAD)
  src_dirty=false
  dirty "$pkg" && src_dirty=true
  echo "fuzz-campaign: $f ($pkg) to $execs execs, log $log"
  result=pass
  stopfile=$logs/$f.stopped
  rm -f "$stopfile"
  wd=""
  if [[ -n $stop_at ]]; then
    watchdog "$stop_at" "$stopfile" &
    wd=$!
  fi
  fuzz_run "$f" "$dir" "$log" "${cmd[@]}" </dev/null || result=fail
  if [[ -n $wd ]]; then
    kill "$wd" 2>/dev/null || true
    wait "$wd" 2>/dev/null || true
  fi
  stopped=false
  [[ -s $stopfile ]] && stopped=true
  last=$(grep -E '^fuzz: elapsed: [^,]+, execs: [0-9]+' "$log" | tail -1 || true)
  n=$(sed -nE 's/.*, execs: ([0-9]+) .*/\1/p' <<<"$last")
  new=$(sed -nE 's/.*new interesting: ([0-9]+) .*/\1/p' <<<"$last")
  total=$(sed -nE 's/.*\(total: ([0-9]+)\).*/\1/p' <<<"$last")
  fuzz_s=$(seconds "$(sed -nE 's/^fuzz: elapsed: ([^,]+),.*/\1/p' <<<"$last")")
  failure="" failing=""
  if [[ $result == fail ]]; then
    failed=1
    failure=$(grep -m1 -A25 -e '^--- FAIL' "$log" || tail -25 "$log")
    failing=$(sed -nE 's/.*Failing input written to (testdata[^ ]*).*/\1/p' "$log" | head -1)
    [[ -n "$failing" ]] && failing=${dir#"$PWD"/}/$failing
  fi
  read -r kept kept_bytes < <(keep "$f" "$cdir" "$tdir")
  # Replay only on success: a failing input in testdata fails the replay by design.
  replay=null
  if [[ $result == pass ]]; then
    replay=$(nice -n "$nice_n" go test -count=1 -v -run "^${f}\$" "$pkg" </dev/null 2>&1 |
      sed -nE "s/^--- PASS: ${f} \(([0-9.]+)s\)$/\1/p" | head -1)
    [[ -n "$replay" ]] || replay=null
  fi
  rec=$(jq -n --arg package "$pkg" --arg target "$f" --arg commit "$commit" --argjson source_dirty "$src_dirty" \
    --arg go "$(go version | awk '{print $3}')" --arg started "$started" --arg finished "$(date -u +%FT%TZ)" \
    --argjson execs_requested "$execs" --argjson execs "${n:-0}" --argjson fuzz_seconds "${fuzz_s:-0}" \
    --argjson wall_seconds "$FUZZ_SECONDS" --argjson new_interesting "${new:-0}" --argjson corpus_total "${total:-0}" \
    --argjson cache_before "$cache_before" --argjson cache_after "$(count "$cdir")" \
    --argjson testdata_before "$td_before" --argjson testdata_after "$(count "$tdir")" \
    --argjson kept_files "$kept" --argjson kept_bytes "$kept_bytes" --argjson replay_seconds "$replay" \
    --argjson tries "$FUZZ_TRIES" --argjson stopped_at_deadline "$stopped" --arg result "$result" --arg failure "$failure" --arg failing_input "$failing" \
    --arg command "${cmd[*]}" '
    {package: $package, target: $target, commit: $commit, source_dirty: $source_dirty, go: $go,
     started: $started, finished: $finished, execs_requested: $execs_requested, execs: $execs,
     fuzz_seconds: $fuzz_seconds, wall_seconds: $wall_seconds,
     execs_per_sec: (if $fuzz_seconds > 0 then ($execs / $fuzz_seconds | round) else 0 end),
     new_interesting: $new_interesting, corpus_total: $corpus_total,
     cache_before: $cache_before, cache_after: $cache_after, testdata_before: $testdata_before,
     testdata_after: $testdata_after, kept_files: $kept_files, kept_bytes: $kept_bytes,
     replay_seconds: $replay_seconds, tries: $tries, stopped_at_deadline: $stopped_at_deadline, result: $result,
     failure: (if $failure == "" then null else $failure end),
     failing_input: (if $failing_input == "" then null else $failing_input end), command: $command}')
  prev='{"targets": []}'
  [[ -f $out.json ]] && prev=$(cat "$out.json")
  jq --argjson rec "$rec" --argjson machine "$machine" --arg date "$day" --arg json "$out.json" \
    --arg go "$(go version)" --argjson goal 10000000 --argjson nice "$nice_n" \
    --argjson keep "$(jq -n --argjson f "$keep_files" --argjson b "$keep_bytes" --argjson m "$keep_max_file" '{files: $f, bytes: $b, max_file: $m}')" '
    . + {date: $date, json: $json, go: $go, machine: $machine, nice: $nice, keep: $keep,
         execs_goal: ([$goal, (.targets + [$rec] | map(.execs_requested) | max)] | max),
         reproduce: "ci/fuzz-campaign.sh \($goal)"}
    | .targets = ([.targets[] | select(.package != $rec.package or .target != $rec.target)] + [$rec]
                  | sort_by(.package, .target))' <<<"$prev" >"$out.json.tmp"
  mv "$out.json.tmp" "$out.json"
  markdown "$out.json" >"$out.md"
  echo "fuzz-campaign: $f $result: ${n:-0} execs in ${fuzz_s}s, $new new interesting, kept $kept files ($kept_bytes bytes)"
done <<<"$targets"
exit "$failed"
