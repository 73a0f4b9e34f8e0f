#!/usr/bin/env bats
#   Seeing the cluster work: GET /metrics carries every service's metrics, gathered over
#   the bus (promtool checks the text when installed); bazaar-busmon and bazaar-busctl
#   speak JSON for scripts, show a leader kill and the bus's transport events, and say
#   so when the bus is silent.

load helpers

setup_file () {
    cluster_setup
}

teardown_file () {
    cluster_teardown
}

teardown () {
    cluster_test_teardown
}

BUSMON=${BAZAAR_BIN:-build}/bazaar-busmon
BUSCTL=${BAZAAR_BIN:-build}/bazaar-busctl

#   metrics_text: GET /metrics once the bus has every service's (sets $body).
metrics_text () {
    local start
    start=$(now_ms)
    while :; do
        http_get /metrics
        if [[ $status == 200 ]] && grep -q '^bazaar_metrics_gathered{service="frontend"} 1$' <<< "$body" \
           && grep -q 'service="order",replica="3"' <<< "$body" && grep -q 'service="catalog"' <<< "$body"; then
            return 0
        fi
        (($(now_ms) - start < 10000)) || { echo "no complete /metrics in 10 s: $status"; echo "$body" | head -40; return 1; }
        sleep 0.3
    done
}

@test "/metrics: every service's families, labelled, and valid exposition text" {
    post_until_200 GameStart 1 buy observe-1 10000    #   a fresh leader may be catching up
    http_get /stocks/GameStart
    sleep 1.2                           #   the workers send theirs once a second
    metrics_text
    local family label
    for family in bazaar_http_request_duration_seconds_bucket process_resident_memory_bytes \
                  process_cpu_seconds_total process_open_fds process_start_time_seconds \
                  bazaar_build_info; do
        grep -qE "^$family\{" <<< "$body" || { echo "no $family"; return 1; }
    done
    for label in 'service="frontend"' 'service="bus"' 'service="catalog"' \
                 'service="order",replica="1"' 'service="order",replica="2"' 'service="order",replica="3"'; do
        grep -qF "process_resident_memory_bytes{$label}" <<< "$body" || { echo "no process metrics for $label"; return 1; }
        grep -qE "^bazaar_build_info\{$label,version=\"[^\"]+\"\} 1$" <<< "$body" \
            || { echo "no build info for $label"; return 1; }
    done
    grep -qE '^bazaar_http_request_duration_seconds_count\{route="orders"\} [1-9]' <<< "$body"
    grep -qE '^bazaar_bus_requests_total\{service="bus"\} [1-9]' <<< "$body"
    grep -qE '^bazaar_catalog_batches_total\{service="catalog"\} [1-9]' <<< "$body"
    grep -qE '^bazaar_catalog_commit_seconds_count\{service="catalog"\} [1-9]' <<< "$body"
    grep -qE '^bazaar_order_requests_total\{service="order",replica="3"\} [1-9]' <<< "$body"
    grep -qE '^bazaar_order_log_write_seconds_count\{service="order",replica="3"\} [1-9]' <<< "$body"
    grep -qE '^bazaar_order_leading\{service="order",replica="3"\} 1$' <<< "$body"
    grep -qE '^bazaar_order_epoch\{service="order",replica="3"\} [1-9]' <<< "$body"
    grep -qE '^bazaar_order_catchups_total\{service="order",replica="1"\} [1-9]' <<< "$body"
    #   One HELP and TYPE per family, however many services report it
    [ "$(grep -c '^# TYPE process_open_fds ' <<< "$body")" = 1 ]
    if command -v promtool > /dev/null; then
        run promtool check metrics <<< "$body"
        echo "$output"
        [ "$status" = 0 ]
    else
        echo "# promtool is not installed: the exposition text was not linted" >&3
    fi
}

@test "busctl: workers with a header, sorted, and --json workers|leader" {
    run "$BUSCTL" workers
    [ "$status" = 0 ]
    echo "$output"
    [ "${lines[0]}" = "SERVICE      RANK  INFLIGHT  ROLE" ]
    [ "$(sed -n 2p <<< "$output" | awk '{print $1}')" = catalog ]
    [ "$(tail -n 1 <<< "$output" | awk '{print $1, $2, $4}')" = "order 3 leader" ]
    run "$BUSCTL" --json workers
    [ "$status" = 0 ]
    jq -e '[.[] | [.service, .rank]] == [["catalog", 0], ["order", 1], ["order", 2], ["order", 3]]
           and ([.[] | select(.leader)] | length == 1 and .[0].rank == 3)' <<< "$output"
    run "$BUSCTL" --json leader
    [ "$output" = '{"service":"order","leader":3}' ]
}

@test "busmon --once --json: a snapshot of the workers and the leader's epoch, then exit" {
    run timeout -k 2 10 "$BUSMON" --once --json
    [ "$status" = 0 ]
    echo "$output"
    [ "${#lines[@]}" = 1 ]
    jq -e '.event == "state" and (.workers | length) == 4 and .leaders.order.rank == 3
           and .leaders.order.epoch > 0 and (.time | test("^20[0-9-]+T[0-9:.]+Z$"))' <<< "$output"
    run timeout -k 2 10 "$BUSMON" --once
    [ "$status" = 0 ]
    grep -E 'live +order +rank=3 leader epoch=[0-9]+ +\(term [0-9]+ of replica 3\)' <<< "$output"
}

@test "busmon --json during a leader kill: worker.down, the new leader and its epoch; transport events" {
    local mon pid
    mon="$BAZAAR_DATA/busmon.json"
    "$BUSMON" --json > "$mon" 2>&1 &
    pid=$!
    sleep 1
    "$CLUSTER" kill leader
    wait_leader 2 20000
    post_until_200 SilverLine 1 buy observe-after-kill 10000
    sleep 1
    kill "$pid"
    wait "$pid" || true
    echo "# busmon --json excerpt during the leader kill:" >&3
    grep -vE '"event":"(stats|transport)"' "$mon" | head -n 6 | sed 's/^/#   /' >&3
    jq -es 'map(select(.event == "worker.down" and .service == "order" and .rank == 3)) | length >= 1' "$mon"
    jq -es 'map(select(.event == "leader" and .service == "order" and .rank == 2 and .epoch % 16 == 2)) | length >= 1' "$mon"
    jq -es 'map(select(.event == "transport" and (.what == "disconnected" or .what == "accepted"))) | length >= 1' "$mon"
    "$CLUSTER" restart order3
    wait_leader 3 30000
}

@test "busmon says so when nothing comes from the bus within liveness; --once then fails" {
    #   Another data directory (this cluster's cluster.env would refuse another port), and a
    #   monitor port that nothing can hold: the last of this file's own block of 32 (the
    #   services use +0..+23, HTTP +30). A port outside the block may be another file's
    #   cluster, running at the same time. -k: a busmon that ignored SIGTERM fails here at
    #   once instead of holding the file until its timeout.
    local silent=(env BAZAAR_DATA="$BATS_TEST_TMPDIR" BAZAAR_PORT_BASE=$((BAZAAR_PORT_BASE + 28)) "$BUSMON")
    run timeout -k 2 10 "${silent[@]}" --once
    [ "$status" = 1 ]
    grep -q "bus.silent.*nothing from the bus at tcp://127.0.0.1:$((BAZAAR_PORT_BASE + 29)) for 500 ms" <<< "$output"
    #   It says so after 500 ms; the timeout only leaves room for a slow start (ASan, load)
    run timeout -k 2 5 "${silent[@]}" --json
    [ "$status" = 124 ]
    [ "$(head -n 1 <<< "$output" | jq -r .event)" = bus.silent ]
}

@test "the services logged no sanitizer error" {
    assert_no_sanitizer_errors
}
