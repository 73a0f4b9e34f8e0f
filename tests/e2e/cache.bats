#!/usr/bin/env bats
#   cache: the frontend's LRU lookup cache end to end: LRU order and bounds, counters,
#   reads see writes under load, invalidation by push to a second frontend (latency
#   printed), and recovery from a lost push (sequence gap), catalog silence and restart.
#
#   One cluster (cache on, 8 entries for 12 stocks) and a second frontend started by hand
#   serve the whole file; the tests run in order and each leaves the catalog running.

load helpers

setup_file () {
    export BAZAAR_CACHE=on
    unset BAZAAR_CACHE_SIZE BAZAAR_TEST_DROP_INV
    cluster_setup || return 1
    frontend2_start
}

teardown_file () {
    frontend2_stop
    cluster_teardown
}

teardown () {
    cluster_test_teardown
}

#   ---------------------------------------------------------------------------------
#   Helpers of this file

#   The second frontend: same cluster, HTTP on the port after the first one's.
frontend2_start () {
    export F2_PORT=$((BAZAAR_PORT_BASE + 31))
    #   Like scripts/cluster: its own session, no inherited descriptor above 2 (bats
    #   waits on fd 3 otherwise), run from the repo root.
    # shellcheck disable=SC2016  # expanded by the inner shell
    (cd "$E2E_REPO" && BAZAAR_HTTP_PORT=$F2_PORT exec setsid bash -c '
        for fd in /proc/$$/fd/*; do
            fd=${fd##*/}
            ((fd > 2)) && eval "exec $fd>&-"
        done
        echo $$ > "$BAZAAR_DATA/frontend2.pid"
        exec "$@"' frontend2 "$BAZAAR_BIN/bazaar-frontend" \
        < /dev/null >> "$BAZAAR_DATA/logs/frontend2.log" 2>&1) &
    wait_serving "$F2_PORT" 10000
}

frontend2_stop () {
    local pid
    pid=$(cat "$BAZAAR_DATA/frontend2.pid" 2>/dev/null) || return 0
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
}

#   get PORT PATH: like http_get, on another frontend.
get () {
    local saved=$BAZAAR_HTTP_PORT
    BAZAAR_HTTP_PORT=$1
    http_get "$2"
    BAZAAR_HTTP_PORT=$saved
}

#   quantity PORT NAME: the quantity a lookup through that frontend answers.
quantity () {
    get "$1" "/stocks/$2"
    [[ $status == 200 ]] || { echo "lookup of $2 on port $1: $status $body" >&2; return 1; }
    jq -r .data.quantity <<< "$body"
}

#   cache_json PORT [JQ]: GET /cache on that frontend, filtered by JQ.
cache_json () {
    get "$1" /cache
    [[ $status == 200 ]] || { echo "GET /cache on port $1: $status $body" >&2; return 1; }
    jq -r "${2:-.}" <<< "$body"
}

#   metric PORT NAME: one unlabelled sample of GET /metrics.
metric () {
    get "$1" /metrics
    awk -v name="$2" '$1 == name { print $2 }' <<< "$body"
}

#   wait_serving PORT LIMIT_MS: until that frontend's cache serves (stream live).
wait_serving () {
    local start
    start=$(now_ms)
    until [[ $(cache_json "$1" .data.serving 2>/dev/null) == true ]]; do
        if (($(now_ms) - start > $2)); then
            echo "cache on port $1 not serving within $2 ms: $body" >&2
            return 1
        fi
        sleep 0.05
    done
}

#   wait_publisher PORT OLD LIMIT_MS: until that frontend follows a publisher other than OLD.
wait_publisher () {
    local start publisher
    start=$(now_ms)
    while :; do
        publisher=$(cache_json "$1" '.data.stream.publisher + " " + (.data.stream.live | tostring)' 2>/dev/null) || true
        [[ -n ${publisher%% *} && ${publisher%% *} != "$2" && ${publisher#* } == true ]] && return 0
        if (($(now_ms) - start > $3)); then
            echo "port $1 still on publisher '$publisher' after $3 ms" >&2
            return 1
        fi
        sleep 0.05
    done
}

#   stop_load PID: ends a background load generator; one that already ended is fine.
stop_load () {
    [[ -n $1 ]] || return 0
    kill -INT "$1" 2> /dev/null || true     #   wrk prints its summary on SIGINT
    wait "$1" 2> /dev/null || true
}

#   trade SIDE NAME [QUANTITY]: one acknowledged trade through the first frontend.
trade () {
    http_post /orders "{\"name\":\"$2\",\"quantity\":${3:-1},\"type\":\"$1\"}"
    [[ $status == 200 ]] || { echo "trade $1 $2: $status $body" >&2; return 1; }
}

#   The stock names of data/catalog.csv, in file order.
catalog_names () {
    tail -n +2 "$E2E_REPO/data/catalog.csv" | tr -d '\r' | awk -F, 'NF >= 2 { print $1 }'
}

#   The catalog's own quantity of a stock (GET /stocks is never cached).
catalog_quantity () {
    http_get /stocks
    jq -r --arg name "$1" '.data[] | select(.name == $name) | .quantity' <<< "$body"
}

#   percentile P: the P-th percentile (nearest rank) of the numbers on stdin.
percentile () {
    sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int((p * NR + 99) / 100); if (i < 1) i = 1; print v[i] }'
}

#   ---------------------------------------------------------------------------------

@test "the cache starts empty: GET /cache shows enabled, capacity 8, no entries" {
    cache_json "$BAZAAR_HTTP_PORT"
    echo "$body"
    jq -e '.data.enabled == true and .data.capacity == 8 and .data.entries == []' <<< "$body"
    [ "$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_entries)" = 0 ]
    [ "$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_hits_total)" = 0 ]
    [ "$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_evictions_total)" = 0 ]
    [ "$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_invalidations_total)" = 0 ]
}

@test "a miss asks the catalog and stores; the next lookup is a hit with the same bytes" {
    wait_serving "$BAZAAR_HTTP_PORT" 5000
    local misses hits first
    misses=$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_misses_total)
    hits=$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_hits_total)
    http_get /stocks/GameStart
    [ "$status" = 200 ]
    first=$body
    http_get /stocks/GameStart
    [ "$status" = 200 ]
    [ "$body" = "$first" ]
    [ "$body" = '{"data":{"name":"GameStart","price":15.99,"quantity":100}}' ]
    [ "$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_misses_total)" = $((misses + 1)) ]
    [ "$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_hits_total)" = $((hits + 1)) ]
    [ "$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_entries)" = 1 ]
    cache_json "$BAZAAR_HTTP_PORT"
    jq -e '.data.entries == [{"name": "GameStart", "quantity": 100, "price": 15.99}]' <<< "$body"
    #   Unknown stocks are not cached
    http_get /stocks/NoSuchStock
    [ "$status" = 404 ]
    [ "$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_entries)" = 1 ]
}

@test "GET /cache lists entries most recently used first" {
    local names
    mapfile -t names < <(catalog_names)
    http_get "/stocks/${names[0]}"
    http_get "/stocks/${names[1]}"
    http_get "/stocks/${names[2]}"
    http_get "/stocks/${names[0]}"
    cache_json "$BAZAAR_HTTP_PORT"
    echo "$body"
    [ "$(jq -r '[.data.entries[:3][].name] | join(" ")' <<< "$body")" = "${names[0]} ${names[2]} ${names[1]}" ]
}

@test "bounded size: 12 stocks through 8 entries keep the 8 most recent, the rest evicted" {
    local names evictions expected name
    mapfile -t names < <(catalog_names)
    [ "${#names[@]}" -gt 8 ]
    evictions=$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_evictions_total)
    for name in "${names[@]}"; do
        http_get "/stocks/$name"
        [ "$status" = 200 ]
        [ "$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_entries)" -le 8 ]
    done
    [ "$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_entries)" = 8 ]
    [ "$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_evictions_total)" -gt "$evictions" ]
    expected=$(printf '%s\n' "${names[@]}" | tail -n 8 | tac | paste -sd ' ')
    cache_json "$BAZAAR_HTTP_PORT"
    [ "$(jq -r '[.data.entries[].name] | join(" ")' <<< "$body")" = "$expected" ]
    #   The least recent one was evicted: looking it up again is a miss
    local misses
    misses=$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_misses_total)
    http_get "/stocks/${names[0]}"
    [ "$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_misses_total)" = $((misses + 1)) ]
}

@test "trade then lookup is never stale: 200 rounds under concurrent lookup load" {
    local name=BoarCo q expected round load_pid= side
    [ "$(catalog_quantity "$name")" != "" ] || name=$(catalog_names | sed -n 2p)
    q=$(catalog_quantity "$name")
    [ "$q" -ge 1 ]
    #   Other clients look the same stock up all the time, so misses race with every
    #   invalidation: 8 connections, each pausing 4 ms between lookups (a steady load,
    #   not one that takes both cores from the trades under test).
    if command -v wrk > /dev/null; then
        echo 'function delay() return 4 end' > "$BAZAAR_DATA/paced.lua"
        wrk -t1 -c8 -d600s -s "$BAZAAR_DATA/paced.lua" "http://127.0.0.1:$BAZAAR_HTTP_PORT/stocks/$name" \
            > "$BAZAAR_DATA/paced.txt" 2>&1 3>&- &
        load_pid=$!
    fi
    expected=$q
    for ((round = 0; round < 200; round++)); do
        if ((round % 2 == 0)); then side=buy; expected=$((expected - 1)); else side=sell; expected=$((expected + 1)); fi
        trade "$side" "$name"
        got=$(quantity "$BAZAAR_HTTP_PORT" "$name")
        if [ "$got" != "$expected" ]; then
            echo "round $round: after a $side the lookup said $got, expected $expected"
            stop_load "$load_pid"
            return 1
        fi
    done
    stop_load "$load_pid"
    local lookups
    lookups=$(awk '/requests in/ { print $1 }' "$BAZAAR_DATA/paced.txt" 2> /dev/null)
    echo "# cache: 200 trade-then-lookup rounds, with ${lookups:-no} concurrent lookups" >&3
    [ -z "$load_pid" ] || ((lookups > 200))
    [ "$(catalog_quantity "$name")" = "$expected" ]
    [ "$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_hits_total)" -gt 0 ]
}

@test "second frontend: a trade on the first reaches its cache by push (latency p50/p99)" {
    local name=FishCo q expected t0 t1 round samples=() p50 p99 got
    q=$(catalog_quantity "$name")
    expected=$q
    for ((round = 0; round < 40; round++)); do
        #   Its cache holds the stock before each trade
        [ "$(quantity "$F2_PORT" "$name")" = "$expected" ]
        [ "$(quantity "$F2_PORT" "$name")" = "$expected" ]
        if ((round % 2 == 0)); then trade buy "$name"; expected=$((expected - 1))
        else trade sell "$name"; expected=$((expected + 1)); fi
        t0=$(date +%s%N)
        while :; do
            got=$(quantity "$F2_PORT" "$name")
            [ "$got" = "$expected" ] && break
            t1=$(date +%s%N)
            if (((t1 - t0) / 1000000 > 2000)); then
                echo "round $round: second frontend still says $got after 2 s, expected $expected"
                return 1
            fi
        done
        t1=$(date +%s%N)
        samples+=($(((t1 - t0) / 1000)))
    done
    p50=$(printf '%s\n' "${samples[@]}" | percentile 50)
    p99=$(printf '%s\n' "${samples[@]}" | percentile 99)
    echo "# acknowledgment to fresh lookup on another frontend (curl-bound): p50 ${p50} us, p99 ${p99} us" >&3
    #   Latency is reported, not asserted (scripts/bench measures it as a ratio): the
    #   bound here is the 2 s within which every round's push must arrive.
    [ "$(metric "$F2_PORT" bazaar_cache_invalidations_total)" -gt 0 ]
}

@test "a lost invalidation is detected by the sequence gap and flushes the cache" {
    local name=GameStart publisher gaps q
    publisher=$(cache_json "$F2_PORT" .data.stream.publisher)
    #   The restarted catalog skips sending its 2nd INVALIDATE (test hook)
    BAZAAR_TEST_DROP_INV=2 "$CLUSTER" restart catalog
    wait_publisher "$F2_PORT" "$publisher" 10000
    wait_publisher "$BAZAAR_HTTP_PORT" "$publisher" 10000
    gaps=$(cache_json "$F2_PORT" .data.stream.flushes.gap)
    q=$(catalog_quantity "$name")
    [ "$(quantity "$F2_PORT" "$name")" = "$q" ]
    trade buy "$name"                                   #   INVALIDATE 1: delivered
    wait_until_quantity "$F2_PORT" "$name" $((q - 1)) 2000
    [ "$(quantity "$F2_PORT" "$name")" = $((q - 1)) ]   #   cached again
    [ "$(cache_json "$F2_PORT" .data.stream.flushes.gap)" = "$gaps" ]
    trade sell "$name"                                  #   INVALIDATE 2: never sent
    #   Only the gap (seen at the next heartbeat) can tell the second frontend
    wait_until_quantity "$F2_PORT" "$name" "$q" 2000
    [ "$(cache_json "$F2_PORT" .data.stream.flushes.gap)" = $((gaps + 1)) ]
    grep -q 'not sent' "$BAZAAR_DATA/logs/catalog.log"
}

#   wait_until_quantity PORT NAME QUANTITY LIMIT_MS
wait_until_quantity () {
    local start got
    start=$(now_ms)
    while :; do
        got=$(quantity "$1" "$2") || true
        [ "$got" = "$3" ] && return 0
        if (($(now_ms) - start > $4)); then
            echo "port $1 says $2 has $got, expected $3 within $4 ms" >&2
            return 1
        fi
        sleep 0.02
    done
}

@test "catalog silent beyond liveness: nothing served from the cache (503), then recovery" {
    local name=GameStart publisher
    [ "$(quantity "$BAZAAR_HTTP_PORT" "$name")" != "" ]
    publisher=$(cache_json "$BAZAAR_HTTP_PORT" .data.stream.publisher)
    "$CLUSTER" kill catalog
    sleep 0.8                                           #   > liveness 5 x 100 ms
    cache_json "$BAZAAR_HTTP_PORT"
    echo "$body"
    jq -e '.data.serving == false and .data.entries == [] and .data.stream.live == false' <<< "$body"
    [ "$(jq -r .data.stream.flushes.silence <<< "$body")" -ge 1 ]
    HTTP_MAX_TIME=10 http_get "/stocks/$name"
    echo "$status $body"
    [ "$status" = 503 ]
    env -u BAZAAR_TEST_DROP_INV "$CLUSTER" restart catalog
    wait_publisher "$BAZAAR_HTTP_PORT" "$publisher" 10000
    wait_serving "$BAZAAR_HTTP_PORT" 5000
    wait_serving "$F2_PORT" 5000
    http_get "/stocks/$name"
    [ "$status" = 200 ]
}

@test "catalog SIGKILL and quick restart: the new publisher id flushes every frontend's cache" {
    local publisher flushes1 flushes2 name
    for name in GameStart FishCo; do
        quantity "$BAZAAR_HTTP_PORT" "$name" > /dev/null
        quantity "$F2_PORT" "$name" > /dev/null
    done
    [ "$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_entries)" -ge 2 ]
    [ "$(metric "$F2_PORT" bazaar_cache_entries)" -ge 2 ]
    publisher=$(cache_json "$BAZAAR_HTTP_PORT" .data.stream.publisher)
    flushes1=$(cache_json "$BAZAAR_HTTP_PORT" .data.stream.flushes.publisher)
    flushes2=$(cache_json "$F2_PORT" .data.stream.flushes.publisher)
    "$CLUSTER" kill catalog
    env -u BAZAAR_TEST_DROP_INV "$CLUSTER" restart catalog
    wait_publisher "$BAZAAR_HTTP_PORT" "$publisher" 10000
    wait_publisher "$F2_PORT" "$publisher" 10000
    [ "$(cache_json "$BAZAAR_HTTP_PORT" .data.stream.flushes.publisher)" = $((flushes1 + 1)) ]
    [ "$(cache_json "$F2_PORT" .data.stream.flushes.publisher)" = $((flushes2 + 1)) ]
    [ "$(metric "$BAZAAR_HTTP_PORT" bazaar_cache_entries)" = 0 ]
    [ "$(metric "$F2_PORT" bazaar_cache_entries)" = 0 ]
    [ "$(quantity "$BAZAAR_HTTP_PORT" GameStart)" = "$(catalog_quantity GameStart)" ]
}

@test "BAZAAR_CACHE=off on a frontend: never a hit, nothing listed" {
    #   bz_config leaves port_base+3..+10 unused
    local port=$((BAZAAR_PORT_BASE + 5)) pid
    cd "$E2E_REPO"
    BAZAAR_CACHE=off BAZAAR_HTTP_PORT=$port "$BAZAAR_BIN/bazaar-frontend" \
        < /dev/null >> "$BAZAAR_DATA/logs/frontend3.log" 2>&1 3>&- &
    pid=$!
    local start
    start=$(now_ms)
    until get "$port" /stocks/GameStart && [ "$status" = 200 ]; do
        (($(now_ms) - start < 10000)) || { kill "$pid"; return 1; }
        sleep 0.05
    done
    get "$port" /stocks/GameStart
    get "$port" /stocks/GameStart
    local hits entries enabled
    hits=$(metric "$port" bazaar_cache_hits_total)
    enabled=$(cache_json "$port" '.data.enabled')
    entries=$(cache_json "$port" '.data.entries | length')
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
    [ "$hits" = 0 ]
    [ "$enabled" = false ]
    [ "$entries" = 0 ]
}

@test "the services logged no sanitizer error" {
    frontend2_stop
    assert_no_sanitizer_errors
}
