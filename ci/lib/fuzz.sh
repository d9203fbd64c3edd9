# shellcheck shell=bash
# ci/lib/fuzz.sh: shell functions shared by ci/fuzz.sh (CI's short run of every
# go test -fuzz target) and ci/fuzz-campaign.sh (the long campaign run outside
# CI). Source it from bash; it defines functions only and changes no options.
#
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" when -fuzztime expires while a worker is mid-call (go.dev/issue/75804,
# fixed in Go 1.27; seen in our CI on FuzzVariant after 249k clean execs). That
# run found nothing: no input was written. fuzz_run repeats such a run, and only
# such a run, once; a failure that wrote an input, printed anything else, or
# happens twice is a failure.

# fuzz_flake reports whether the log in $1 is the coordinator's deadline race
# and nothing more: the deadline message, no failing input, no test output.
fuzz_flake() {
  grep -q '^    context deadline exceeded$' "$1" &&
    ! grep -q -e 'Failing input written' -e 'panic:' -e '_test.go:[0-9]' "$1" &&
    [[ "$(grep -c '^--- FAIL' "$1")" == 1 ]]
}

# fuzz_inputs counts the files the go tool keeps for target $1 in package dir
# $2 (testdata/fuzz/$1: committed seeds and any failing input it wrote).
fuzz_inputs() {
  if [[ -d "$2/testdata/fuzz/$1" ]]; then
    find "$2/testdata/fuzz/$1" -type f | wc -l
  else
    echo 0
  fi
}

# fuzz_targets prints "package dir Target" for every Fuzz function in the
# module's _test.go files, in go list order.
fuzz_targets() {
  local pkg dir f
  for pkg in $(go list ./...); do
    dir=$(go list -f '{{.Dir}}' "$pkg")
    # shellcheck disable=SC2013 # Fuzz function names are single words.
    for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
      echo "$pkg $dir $f"
    done
  done
}

# fuzz_since prints the seconds since $1 (a date +%s.%N), to a tenth.
fuzz_since() {
  awk -v now="$(date +%s.%N)" -v start="$1" 'BEGIN { printf "%.1f", now - start }'
}

# fuzz_run runs the command that follows $1 (target), $2 (package dir) and $3
# (log file), a go test -fuzz invocation, teeing its output to the log. It
# repeats the run once if the first one was only the deadline race, and returns
# the last run's status. It sets FUZZ_TRIES to the number of runs and
# FUZZ_SECONDS to the wall time of the last one.
fuzz_run() {
  local f=$1 dir=$2 log=$3 try before after start
  shift 3
  for try in 1 2; do
    # shellcheck disable=SC2034 # FUZZ_TRIES and FUZZ_SECONDS are for the caller.
    FUZZ_TRIES=$try
    before=$(fuzz_inputs "$f" "$dir")
    start=$(date +%s.%N)
    if "$@" 2>&1 | tee "$log"; [[ ${PIPESTATUS[0]} == 0 ]]; then
      # shellcheck disable=SC2034
      FUZZ_SECONDS=$(fuzz_since "$start")
      return 0
    fi
    # shellcheck disable=SC2034
    FUZZ_SECONDS=$(fuzz_since "$start")
    after=$(fuzz_inputs "$f" "$dir")
    if [[ $try == 1 && "$before" == "$after" ]] && fuzz_flake "$log"; then
      echo "fuzz: $f stopped on the -fuzztime deadline race (go.dev/issue/75804), nothing found; running it again"
      continue
    fi
    return 1
  done
}
