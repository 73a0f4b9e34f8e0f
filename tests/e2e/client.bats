#!/usr/bin/env bats
#   client: bazaar-client's own end-to-end verification against a live cluster (every
#   acknowledged order reads back unchanged, no number twice), then check_books over
#   everything it traded. Run by scripts/run-tests, so `make test` runs the client.
#   One cluster serves the whole file; the first run is on a fresh cluster.

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

client () {
    "$BAZAAR_BIN/bazaar-client" --url "http://127.0.0.1:$BAZAAR_HTTP_PORT" "$@"
}

@test "bazaar-client is built" {
    [ -x "$BAZAAR_BIN/bazaar-client" ]
}

@test "bazaar-client --sessions 5 --iterations 100 --p 0.8 --seed 42: exit 0, books balance" {
    run client --sessions 5 --iterations 100 --p 0.8 --seed 42
    echo "$output"
    [ "$status" -eq 0 ]
    grep -qx 'result   OK' <<< "$output"
    grep -qE '^checks +0 mismatched, 0 missing, 0 duplicate numbers$' <<< "$output"
    local acknowledged
    acknowledged=$(sed -n 's/^trades *\([0-9][0-9]*\) acknowledged.*/\1/p' <<< "$output")
    echo "# client: $acknowledged orders acknowledged, $(grep '^load' <<< "$output")" >&3
    [ "$acknowledged" -gt 0 ]
    check_books
    #   The client was the only trader on a fresh cluster: every order is one of its own.
    [ "$orders_count" = "$acknowledged" ]
}

@test "bazaar-client while the leader is SIGKILLed and restarted: exit 0, books balance" {
    local before log pid
    before=$(next_number)
    log=$(mktemp)
    client --sessions 5 --iterations 300 --p 0.8 --seed 7 > "$log" 2>&1 &
    pid=$!
    sleep 0.5
    "$CLUSTER" kill leader
    sleep 0.5
    "$CLUSTER" restart order3
    local rc=0
    wait "$pid" || rc=$?
    cat "$log"
    [ "$rc" -eq 0 ]
    grep -qx 'result   OK' "$log"
    local acknowledged
    acknowledged=$(sed -n 's/^trades *\([0-9][0-9]*\) acknowledged.*/\1/p' "$log")
    rm -f "$log"
    check_books
    [ "$orders_count" = $((before + acknowledged)) ]
}

@test "bazaar-client refuses a bad option with exit 2" {
    run client --p 2
    echo "$output"
    [ "$status" -eq 2 ]
}

@test "the services logged no sanitizer error" {
    assert_no_sanitizer_errors
}
