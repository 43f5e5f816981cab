#!/bin/sh
# Every atheris target in turn, SECONDS each (default 600), at the lowest priority; one JSON line
# per target: {"target", "seconds", "runs", "crashes"}. Logs and any crash-* inputs go to OUT.
#   bench/fuzz/long_run.sh [SECONDS] [OUT] [TARGET...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
seconds=${1:-600}
out=${2:-"$repo/.cache/fuzz"}
shift 2 2>/dev/null || shift $#
targets=${*:-"credentials commands config trust osdp"}
python=${PYTHON:-"$repo/.venv/bin/python"}
mkdir -p "$out"
for target in $targets; do
    mkdir -p "$out/$target"
    log="$out/$target.log"
    start=$(date +%s)
    (cd "$out/$target" && nice -n 19 "$python" "$here/run.py" "$target" "-max_total_time=$seconds" \
        -print_final_stats=1 -rss_limit_mb=2048 >"$log" 2>&1)
    status=$?
    took=$(( $(date +%s) - start ))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    crashes=$(find "$out/$target" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'timeout-*' -o -maxdepth 1 -name 'oom-*' | wc -l)
    printf '{"target": "%s", "seconds": %s, "runs": %s, "crashes": %s, "exit": %s}\n' \
        "$target" "$took" "${runs:-0}" "$crashes" "$status"
done
