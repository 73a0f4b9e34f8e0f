#!/usr/bin/env bats
#   curve: with BAZAAR_CURVE=on the cluster works end to end, and a process without the
#   cluster key (bazaar-curveprobe --as plain: no CURVE; --as stranger: CURVE with its own
#   keys and the real server public key) cannot register as a worker, read or fake the
#   invalidation stream, read or feed replication, or read the monitor. Each refusal
#   is paired with the same probe --as keyed succeeding, so a silent probe proves nothing
#   by accident. Run by scripts/run-tests.

load helpers

#   cluster_setup runs "$CLUSTER start" in a fresh data dir: this wrapper makes the keys
#   there first (scripts/keys is idempotent, so it is harmless once cluster does it too).
setup_file () {
    export BAZAAR_CURVE=on
    local real=$CLUSTER wrapper=$BATS_FILE_TMPDIR/cluster
    printf '#!/usr/bin/env bash\nif [[ ${1:-} == start ]]; then "%s/scripts/keys" > /dev/null || exit 1; fi\nexec "%s" "$@"\n' \
        "$E2E_REPO" "$real" > "$wrapper"
    chmod +x "$wrapper"
    CLUSTER=$wrapper
    export CLUSTER
    cluster_setup
}

teardown_file () {
    cluster_teardown
}

teardown () {
    cluster_test_teardown
}

probe () {
    (cd "$E2E_REPO" && timeout 30 "$BAZAAR_BIN/bazaar-curveprobe" --as "$@")
}

#   value KEY: the number after KEY= in $output.
value () {
    sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<< "$output"
}

books () {
    http_get /stocks
    [ "$status" = 200 ] || { echo "GET /stocks: $status $body" >&2; return 1; }
    jq -cS .data <<< "$body"
}

trade () {
    http_post /orders "{\"name\":\"$1\",\"quantity\":$2,\"type\":\"$3\"}"
}

#   parallel_books N: N concurrent GET /stocks, one body per line: the broker sends a
#   request to the least loaded worker, so only concurrency reaches a second one.
parallel_books () {
    local i dir
    dir=$(mktemp -d "$BAZAAR_DATA/books.XXXXXX")
    for ((i = 0; i < $1; i++)); do
        curl -s --max-time 10 "http://127.0.0.1:$BAZAAR_HTTP_PORT/stocks" > "$dir/$i" &
    done
    wait
    for ((i = 0; i < $1; i++)); do
        jq -cS .data "$dir/$i" 2>/dev/null || echo "not json: $(cat "$dir/$i")"
    done
    rm -rf "$dir"
}

catalog_workers () {
    "$BAZAAR_BIN/bazaar-busctl" workers | grep -c '^catalog '
}

@test "keys: private, and scripts/keys keeps what exists" {
    local dir=$BAZAAR_DATA/keys before
    for f in server.cert server.cert_secret client.cert client.cert_secret allowed/client.cert; do
        [ -s "$dir/$f" ]
    done
    [ "$(stat -c %a "$dir/server.cert_secret")" = 600 ]
    [ "$(stat -c %a "$dir/client.cert_secret")" = 600 ]
    before=$(cat "$dir"/*.cert* "$dir"/allowed/* | sha1sum)
    run "$E2E_REPO/scripts/keys"
    [ "$status" -eq 0 ]
    [ "$output" = "$dir" ]
    [ "$(cat "$dir"/*.cert* "$dir"/allowed/* | sha1sum)" = "$before" ]
}

@test "a keyed cluster serves lookups and trades end to end" {
    http_get /stocks/GameStart
    echo "lookup: $status $body"
    [ "$status" = 200 ]
    [ "$(jq -r .data.name <<< "$body")" = GameStart ]
    trade GameStart 1 buy
    echo "trade: $status $body"
    [ "$status" = 200 ]
    number=$(jq -r .data.transaction_number <<< "$body")
    http_get "/orders/$number"
    [ "$status" = 200 ]
    [ "$(jq -r .data.name <<< "$body")" = GameStart ]
    run "$CLUSTER" leader
    [ "$status" -eq 0 ]
    [ "$output" = 3 ]
    wait_serving_cache
}

#   Until the frontend's cache is fed by the catalog's stream (through CURVE).
wait_serving_cache () {
    local start
    start=$(now_ms)
    while :; do
        http_get /cache
        [[ $status == 200 ]] && jq -e '.data.stream.live == true' <<< "$body" > /dev/null && return 0
        if (($(now_ms) - start > 5000)); then
            echo "the cache stream is not live: $status $body"
            return 1
        fi
        sleep 0.1
    done
}

@test "(1) without the key, a fake catalog worker is not registered and gets no request" {
    local as baseline i
    baseline=$(books)
    [ -n "$baseline" ]
    for as in plain stranger; do
        probe "$as" worker catalog 2 > "$BAZAAR_DATA/probe-$as" &
        sleep 0.5
        [ "$(catalog_workers)" = 1 ]
        for ((i = 0; i < 3; i++)); do
            run parallel_books 20
            [ "$(sort -u <<< "$output")" = "$baseline" ]
        done
        wait
        output=$(cat "$BAZAAR_DATA/probe-$as")
        echo "$as: $output"
        [ "$(value heartbeats)" = 0 ]
        [ "$(value requests)" = 0 ]
    done
    #   The control: the cluster's key registers the same fake, and it gets requests.
    #   It stays 4 s: a CI run on a loaded machine once took 2 s to get the lookups out.
    probe keyed worker catalog 4 > "$BAZAAR_DATA/probe-keyed" &
    sleep 0.5
    [ "$(catalog_workers)" = 2 ]
    for ((i = 0; i < 3; i++)); do
        (parallel_books 20) > /dev/null
    done
    wait
    output=$(cat "$BAZAAR_DATA/probe-keyed")
    echo "keyed: $output"
    [ "$(value heartbeats)" -gt 0 ]
    [ "$(value requests)" -gt 0 ]
}

@test "(2) without the key, nobody reads the catalog's invalidations" {
    for as in plain stranger; do
        run probe "$as" sub catalog 1
        echo "$as: $output"
        [ "$status" -eq 0 ]
        [ "$(value messages)" = 0 ]
    done
    run probe keyed sub catalog 1
    echo "keyed: $output"
    [ "$(value messages)" -gt 0 ]
}

#   cache_publisher: the publisher id the frontend's cache follows, and whether live.
cache_publisher () {
    http_get /cache
    jq -r '"\(.data.stream.publisher) \(.data.stream.live)"' <<< "$body"
}

#   pub_believed AS: the frontend's cache follows a fake publisher at the catalog's
#   endpoint run with identity AS (the catalog must be down). Prints what it follows.
pub_believed () {
    local followed
    probe "$1" pub catalog 2.5 > /dev/null &
    sleep 2
    followed=$(cache_publisher)
    wait
    echo "$1: the cache follows $followed"
    [[ $followed == "curveprobe true" ]]
}

#   A refused handshake ends libzmq's session for good (protocol error: no reconnect);
#   the feed redials after a liveness period (bus/lib/bz_socket.h), but restarting the
#   frontend after each outsider gives the next one a fresh SUB at once.
@test "(2) without the key, a fake publisher at the catalog's endpoint is not believed" {
    "$CLUSTER" kill catalog
    run pub_believed keyed
    echo "$output"
    [ "$status" -eq 0 ]
    "$CLUSTER" restart frontend
    run pub_believed stranger
    echo "$output"
    [ "$status" -ne 0 ]
    "$CLUSTER" restart frontend
    run pub_believed plain
    echo "$output"
    [ "$status" -ne 0 ]
    "$CLUSTER" restart catalog
    "$CLUSTER" restart frontend
    wait_serving_cache
    http_get /stocks/GameStart
    [ "$status" = 200 ]
}

@test "(3) without the key, replication answers nothing and cannot be read" {
    local as
    for as in plain stranger; do
        run probe "$as" since 3 1
        echo "$as since: $output"
        [ "$(value replies)" = 0 ]
        run probe "$as" sub order3 1
        echo "$as sub: $output"
        [ "$(value messages)" = 0 ]
    done
    run probe keyed since 3 1
    echo "keyed since: $output"
    [ "$(value replies)" = 1 ]
    run probe keyed sub order3 1
    echo "keyed sub: $output"
    [ "$(value messages)" -gt 0 ]
}

@test "(4) without the key, nobody reads the monitor" {
    for as in plain stranger; do
        run probe "$as" sub monitor 1.5
        echo "$as: $output"
        [ "$(value messages)" = 0 ]
    done
    run probe keyed sub monitor 1.5
    echo "keyed: $output"
    [ "$(value messages)" -gt 0 ]
}

#   trade_within LIMIT_MS: a trade succeeds within the limit (retrying every 100 ms).
trade_within () {
    local start
    start=$(now_ms)
    while :; do
        trade GameStart 1 buy
        [[ $status == 200 ]] && return 0
        if (($(now_ms) - start > $1)); then
            echo "no trade within $1 ms: $status $body"
            return 1
        fi
        sleep 0.1
    done
}

#   A handshake refused with a protocol error (a peer without CURVE) makes libzmq give up
#   on that connection for good: without the redial (bus/lib/bz_socket.h) the frontend's feed,
#   the workers and the replicas stay cut off from a service that came back.
#   live_bus: whether the live page says the bus is up ("true"/"false"): the "cluster"
#   message a page gets first on connecting, read over a raw WebSocket.
live_bus () {
    timeout 4 bash -c 'exec 3<> "/dev/tcp/127.0.0.1/$1" || exit
        printf "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" >&3
        timeout 1 cat <&3' live-bus "$BAZAAR_HTTP_PORT" \
        | grep -ao '"type":"cluster","bus":[a-z]*' | head -n 1 | sed 's/.*://'
}

#   wait_live_bus LIMIT_MS: until the live page says the bus is up.
wait_live_bus () {
    local start state
    start=$(now_ms)
    while state=$(live_bus); [[ $state != true ]]; do
        (($(now_ms) - start < $1)) || { echo "the live page says bus '$state' after $1 ms"; return 1; }
        sleep 0.2
    done
}

@test "a stranger at a service's endpoint: its peers reconnect when it comes back" {
    #   The catalog's stream: the frontend's cache feed
    "$CLUSTER" kill catalog
    run probe plain hold catalog 1.5
    echo "$output"
    [ "$(value held)" = 1 ]
    "$CLUSTER" restart catalog
    wait_serving_cache
    trade_within 3000
    #   The bus: every worker
    wait_live_bus 3000
    "$CLUSTER" kill bus
    run probe plain hold bus,monitor 1.5
    [ "$(value held)" = 2 ]
    "$CLUSTER" restart bus
    trade_within 3000
    http_get /stocks/GameStart
    [ "$status" = 200 ]
    #   and the live page, which watches the bus's monitor stream
    wait_live_bus 3000
    #   A replica: the next leader, followed by the third once the leader is gone
    wait_leader 3 5000
    "$CLUSTER" kill order2
    run probe plain hold order2,order2.sync 1.5
    [ "$(value held)" = 2 ]
    "$CLUSTER" restart order2
    sleep 1
    "$CLUSTER" kill order3
    trade_within 3000
    #   order2 leads with order1's acknowledgments; without them it would step aside
    run "$CLUSTER" leader
    [ "$output" = 2 ]
    ! grep -q 'stepping aside' "$BAZAAR_DATA/logs/order2.log"
    "$CLUSTER" restart order3
    wait_leader 3 10000
    trade_within 3000
}

#   Last: it stops two replicas and leaves an order on the leader alone.
@test "(3) without the key, forged acknowledgments do not make a lone leader trade" {
    svc_up catalog || "$CLUSTER" restart catalog
    svc_up frontend || "$CLUSTER" restart frontend
    "$CLUSTER" kill order1
    "$CLUSTER" kill order2
    sleep 0.7
    trade GameStart 1 buy
    echo "alone: $status $body"
    [ "$status" = 503 ]
    probe stranger ack 3 1 4 > /dev/null &
    probe stranger ack 3 2 4 > /dev/null &
    probe plain ack 3 1 4 > /dev/null &
    sleep 0.5
    trade GameStart 1 buy
    echo "with forged acks from outsiders: $status $body"
    wait
    [ "$status" = 503 ]
    #   The control: the same forgery with the cluster's key is believed.
    probe keyed ack 3 1 4 > /dev/null &
    probe keyed ack 3 2 4 > /dev/null &
    sleep 0.5
    trade GameStart 1 buy
    echo "with forged acks from inside: $status $body"
    wait
    [ "$status" = 200 ]
    "$CLUSTER" restart order1
    "$CLUSTER" restart order2
    run cluster_sanitizer_errors
    [ -z "$output" ]
}
