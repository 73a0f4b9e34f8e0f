#!/usr/bin/env bats
#   bench: `scripts/bench --quick` runs every experiment of the evaluation on its own
#   cluster and writes the files docs/evaluation.md relies on; this checks each of them
#   (names, CSV headers, rows, PNGs, results.md) and that no service logged a sanitizer
#   report. The figures themselves are not judged here: unit and e2e tests time nothing.

load helpers

setup_file () {
    export BENCH_OUT=$BATS_FILE_TMPDIR/out
    export TMPDIR=$BATS_FILE_TMPDIR
    local start=$SECONDS
    BENCH_KEEP=1 "$E2E_REPO/scripts/bench" --quick > "$BATS_FILE_TMPDIR/bench.log" 2>&1 \
        && echo ok > "$BATS_FILE_TMPDIR/status" || echo "failed: $?" > "$BATS_FILE_TMPDIR/status"
    echo $((SECONDS - start)) > "$BATS_FILE_TMPDIR/seconds"
}

teardown_file () {
    rm -rf "$BATS_FILE_TMPDIR"/bazaar-bench.*
}

#   The data dir the bench kept (BENCH_KEEP), for its logs.
bench_data () {
    ls -d "$BATS_FILE_TMPDIR"/bazaar-bench.* | head -1
}

csv_header () {
    [ "$(head -1 "$BENCH_OUT/$1")" = "$2" ] || { echo "$1: header '$(head -1 "$BENCH_OUT/$1")'"; return 1; }
}

@test "scripts/bench --quick completes" {
    cat "$BATS_FILE_TMPDIR/bench.log"
    [ "$(cat "$BATS_FILE_TMPDIR/status")" = ok ]
    echo "# bench --quick took $(cat "$BATS_FILE_TMPDIR/seconds") s ($(basename "$BAZAAR_BIN"))" >&3
    #   A generous bound, below run-tests' 900 s per file: the budget is 150 s on a quiet
    #   machine with the optimised build; ASan on a machine at load 30 took 12 minutes.
    [ "$(cat "$BATS_FILE_TMPDIR/seconds")" -lt 850 ]
}

@test "latency-vs-p.csv: p 0..0.8, cache on and off, lookup, trade and query" {
    csv_header latency-vs-p.csv "cache,p,request,mean_ms,p50_ms,p99_ms,count"
    local f=$BENCH_OUT/latency-vs-p.csv
    [ "$(($(wc -l < "$f") - 1))" -eq 30 ]
    for p in 0 0.2 0.4 0.6 0.8; do
        for cache in on off; do
            #   Lookups at every p; trades and read-backs whenever p > 0.
            awk -F, -v p=$p -v c=$cache '$1 == c && $2 == p && $3 == "lookup" && $7 > 0 && $5 > 0 && $6 >= $5 { ok = 1 } END { exit !ok }' "$f"
            [ $p = 0 ] || awk -F, -v p=$p -v c=$cache '$1 == c && $2 == p && $3 == "trade" && $7 > 0 && $5 > 0 { ok = 1 } END { exit !ok }' "$f"
            [ $p = 0 ] || awk -F, -v p=$p -v c=$cache '$1 == c && $2 == p && $3 == "query" && $7 > 0 { ok = 1 } END { exit !ok }' "$f"
        done
    done
    csv_header cache-hits.csv "p,hits,misses,evictions,invalidations"
    #   With p = 0 nothing invalidates, and the cache answers some lookups.
    awk -F, '$1 == "0" && $2 > 0 && $5 == 0 { ok = 1 } END { exit !ok }' "$BENCH_OUT/cache-hits.csv"
}

@test "lru.csv: evictions seen in GET /cache match the /metrics counter" {
    csv_header lru.csv "step,stock,rank,position,event"
    local seen counted
    seen=$(grep -c ',evicted$' "$BENCH_OUT/lru.csv")
    counted=$(jq -r .evictions_metric "$BENCH_OUT/lru.json")
    echo "seen $seen, counted $counted"
    [ "$seen" -gt 0 ]
    [ "$seen" -eq "$counted" ]
    #   Never more held than the cache's size.
    awk -F, -v size="$(jq -r .cache_size "$BENCH_OUT/lru.json")" 'NR > 1 && $4 > size { exit 1 }' "$BENCH_OUT/lru.csv"
}

@test "failover-timeline.csv: trades before the kill and after the restart, no 5xx" {
    csv_header failover-timeline.csv "t_ms,latency_ms,status"
    csv_header failover-events.csv "t_ms,event,replica"
    csv_header failover-replicas.csv "t_ms,replica,orders"
    local kill restart
    kill=$(awk -F, '$2 == "kill" { print $1 }' "$BENCH_OUT/failover-events.csv")
    restart=$(awk -F, '$2 == "restart" { print $1 }' "$BENCH_OUT/failover-events.csv")
    [ -n "$kill" ] && [ -n "$restart" ] && [ "$restart" -gt "$kill" ]
    awk -F, -v k="$kill" 'NR > 1 && $1 < k && $3 == 200 { ok = 1 } END { exit !ok }' "$BENCH_OUT/failover-timeline.csv"
    awk -F, -v r="$restart" 'NR > 1 && $1 > r && $3 == 200 { ok = 1 } END { exit !ok }' "$BENCH_OUT/failover-timeline.csv"
    ! awk -F, 'NR > 1 && $3 >= 500 { bad = 1 } END { exit !bad }' "$BENCH_OUT/failover-timeline.csv"
    csv_header failover.csv "kill,leader,ms"
    [ "$(($(wc -l < "$BENCH_OUT/failover.csv") - 1))" -ge 1 ]
}

@test "throughput.csv: five targets at 1, 8, 32, 128 and 512 connections" {
    csv_header throughput.csv "target,connections,requests_per_s,p50_ms,p99_ms,errors"
    for target in nginx bare cached uncached trades; do
        for c in 1 8 32 128 512; do
            awk -F, -v t=$target -v c=$c '$1 == t && $2 == c { ok = 1 } END { exit !ok }' "$BENCH_OUT/throughput.csv"
        done
        #   At 8 connections every target serves something.
        awk -F, -v t=$target '$1 == t && $2 == 8 && $3 > 0 { ok = 1 } END { exit !ok }' "$BENCH_OUT/throughput.csv"
    done
    #   The cached runs were answered from the cache.
    csv_header throughput-cache.csv "connections,hits,misses,stream_live_before,stream_live_after"
    awk -F, '$1 == 8 && $2 > 10 * $3 { ok = 1 } END { exit !ok }' "$BENCH_OUT/throughput-cache.csv"
}

@test "the other measurements: trades, invalidation, catch-up, memory" {
    csv_header trades.csv "replicas,sessions,trades_per_s,p50_ms,p99_ms"
    #   The quick run measures three replicas only.
    awk -F, '$1 == 3 && $2 == 32 && $3 > 0 { ok = 1 } END { exit !ok }' "$BENCH_OUT/trades.csv"
    jq -e '.failed == 0 and .p50_ms > 0' "$BENCH_OUT/invalidation.json"
    jq -e '.missed_orders >= 500 and .catch_up_ms > 0' "$BENCH_OUT/catchup.json"
    [ "$(($(wc -l < "$BENCH_OUT/memory.csv") - 1))" -eq 6 ]
    jq -e '.mode == "quick" and .seconds > 0' "$BENCH_OUT/run.json"
}

@test "plots are PNGs and results.md has its tables" {
    for png in latency-vs-p-lookup latency-vs-p-trade latency-vs-p-query lru failover-timeline throughput failover; do
        [ "$(head -c 4 "$BENCH_OUT/$png.png" | od -An -tx1 | tr -d ' ')" = 89504e47 ] || { echo "$png.png"; false; }
        grep -q "($png.png)" "$BENCH_OUT/results.md"
    done
    grep -q '^| 0.8 | ' "$BENCH_OUT/results.md"
    grep -q '^| 512 | ' "$BENCH_OUT/results.md"
    grep -q 'cached lookups ≥ 0.8× nginx' "$BENCH_OUT/results.md"
}

@test "no service logged a sanitizer report" {
    BAZAAR_DATA=$(bench_data) assert_no_sanitizer_errors
}
