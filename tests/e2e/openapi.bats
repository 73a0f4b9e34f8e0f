#!/usr/bin/env bats
#   openapi: walks docs/openapi.yaml against a running cluster: every path, method and
#   documented status is provoked and answered as documented (so the spec cannot drift
#   from the server), with HEAD, Date and one trailing slash on every route. Then the
#   cluster's edges: the REST API on 127.0.0.1 only, cluster.env, status exit 3.
#   Run by scripts/run-tests; the 503s come last (they kill services).

load helpers
bats_require_minimum_version 1.5.0

SPEC=$BATS_TEST_DIRNAME/../../docs/openapi.yaml

setup_file () {
    #   503s come sooner; the cache is on, so lookups of a never-seen stock still miss
    export BAZAAR_REQUEST_TIMEOUT_MS=1000
    cluster_setup
}

teardown_file () {
    cluster_teardown
}

teardown () {
    cluster_test_teardown
}

#   "METHOD PATH STATUS" for every documented response, in the spec's order. The spec
#   keeps paths at two spaces, methods at four, quoted statuses at eight.
spec_responses () {
    awk '/^paths:/ { p = 1; next } /^[a-z]/ { p = 0 }
         p && /^  \/[^ ]*:$/ { path = $1; sub(/:$/, "", path) }
         p && /^    (get|post|put|delete|head):$/ { m = $1; sub(/:$/, "", m) }
         p && /^        \x27[0-9][0-9][0-9]\x27:$/ { s = $1; gsub(/[\x27:]/, "", s); print toupper(m), path, s }' "$SPEC"
}

#   req METHOD PATH [BODY [CONTENT_TYPE [KEY]]]: sets $status, $body and $headers.
req () {
    local method=$1 path=$2 data=${3-} type=${4-application/json} out
    local args=(-s --path-as-is --max-time 10 -D "$BATS_TEST_TMPDIR/headers" -w '%{http_code}')
    [[ -n ${5-} ]] && args+=(-H "Idempotency-Key: $5")
    case $method in
        HEAD) args+=(-I) ;;
        POST) args+=(-X POST -H "Content-Type: $type" --data-binary "$data") ;;
    esac
    out=$(curl "${args[@]}" "http://127.0.0.1:$BAZAAR_HTTP_PORT$path") || true
    status=${out: -3}
    body=${out:0:${#out}-3}
    [[ $method == HEAD ]] && body=${body%%$'\r\n\r\n'*} && body=
    headers=$(tr -d '\r' < "$BATS_TEST_TMPDIR/headers")
}

#   A POST /orders whose body stops after one byte of ten: 408 after 2 s.
slow_post () {
    local reply
    reply=$(timeout 10 bash -c '
        exec 3<> "/dev/tcp/127.0.0.1/$1" || exit 3
        printf "POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{" >&3
        cat <&3' slow "$BAZAAR_HTTP_PORT" 2>/dev/null | tr -d '\r') || true
    status=$(head -n 1 <<< "$reply" | awk '{ print $2 }')
    body=$(tail -n 1 <<< "$reply")
    headers=$(sed '/^$/q' <<< "$reply")
}

ORDER='{"name":"GameStart","quantity":1,"type":"sell"}'

#   One key for two different orders: the second is 422.
reused_key () {
    local key="openapi-reuse-$$-$RANDOM"
    req POST /orders "$ORDER" application/json "$key"
    [[ $status == 200 ]] || return 0
    req POST /orders '{"name":"GameStart","quantity":2,"type":"sell"}' application/json "$key"
}

#   provoke METHOD PATH STATUS: makes the request that the documented STATUS answers.
provoke () {
    case "$1 $2 $3" in
        "GET / 200")                     req GET / ;;
        "GET /stocks 200")               req GET /stocks ;;
        "GET /stocks 503")               req GET /stocks ;;
        "GET /stocks/{name} 200")        req GET /stocks/GameStart ;;
        "GET /stocks/{name} 400")        req GET '/stocks/Game$Start' ;;
        "GET /stocks/{name} 404")        req GET /stocks/NoSuchStock ;;
        "GET /stocks/{name} 503")        req GET /stocks/BoarCo ;;
        "POST /orders 200")              req POST /orders "$ORDER" ;;
        "POST /orders 400")              req POST /orders '{"name":"GameStart"}' ;;
        "POST /orders 404")              req POST /orders '{"name":"NoSuchStock","quantity":1,"type":"buy"}' ;;
        "POST /orders 408")              slow_post ;;
        "POST /orders 409")              req POST /orders '{"name":"GameStart","quantity":1000000,"type":"buy"}' ;;
        "POST /orders 413")              req POST /orders "$(printf '%5000s' '')" ;;
        "POST /orders 415")              req POST /orders "$ORDER" text/plain ;;
        "POST /orders 422")              reused_key ;;
        "POST /orders 503")              req POST /orders "$ORDER" ;;
        "GET /orders/{number} 200")      req GET /orders/0 ;;
        "GET /orders/{number} 400")      req GET /orders/x1 ;;
        "GET /orders/{number} 404")      req GET /orders/999999999 ;;
        "GET /orders/{number} 503")      req GET /orders/0 ;;
        "GET /health 200")               req GET /health ;;
        "GET /health 503")               req GET /health ;;
        "GET /health/live 200")          req GET /health/live ;;
        "GET /metrics 200")              req GET /metrics ;;
        "GET /cache 200")                req GET /cache ;;
        *) echo "no recipe for '$*': add one to tests/e2e/openapi.bats"; return 1 ;;
    esac
}

#   check_response METHOD PATH STATUS: the answer provoke got is the documented one.
check_response () {
    local want=$3
    [[ $status == "$want" ]] || { echo "$1 $2: want $want, got $status $body"; return 1; }
    grep -qiE '^Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT$' <<< "$headers" \
        || { echo "$1 $2 $want: no Date header: $headers"; return 1; }
    grep -qi '^Content-Length: ' <<< "$headers" || { echo "$1 $2 $want: no Content-Length"; return 1; }
    case "$1 $2" in "GET /"|"GET /metrics") return 0 ;; esac
    if [[ $want == 2* ]]; then
        jq -e '.data' <<< "$body" > /dev/null || { echo "$1 $2 $want: no data: $body"; return 1; }
    else
        jq -e --argjson code "$want" '.error.code == $code and (.error.message | length > 0)' \
            <<< "$body" > /dev/null || { echo "$1 $2 $want: not the error shape: $body"; return 1; }
    fi
}

#   The concrete path provoke uses for the 200 of a documented path.
example_path () {
    case $1 in
        /stocks/{name}) echo /stocks/GameStart ;;
        /orders/{number}) echo /orders/0 ;;
        *) echo "$1" ;;
    esac
}

@test "docs/openapi.yaml: every path, method and status but the 503s answers as documented, GET with HEAD" {
    local method path want count=0 get_status
    while read -r method path want; do
        [[ $want == 503 ]] && continue
        provoke "$method" "$path" "$want" || return 1
        check_response "$method" "$path" "$want" || return 1
        if [[ $method == GET ]]; then
            get_status=$status
            case "$path $want" in
                "/stocks/{name} 400") req HEAD '/stocks/Game$Start' ;;
                "/stocks/{name} 404") req HEAD /stocks/NoSuchStock ;;
                "/orders/{number} 400") req HEAD /orders/x1 ;;
                "/orders/{number} 404") req HEAD /orders/999999999 ;;
                *) req HEAD "$(example_path "$path")" ;;
            esac
            [[ $status == "$get_status" && -z $body ]] || { echo "HEAD $path: $status '$body'"; return 1; }
            grep -qi '^Date: ' <<< "$headers" || { echo "HEAD $path: no Date"; return 1; }
        fi
        count=$((count + 1))
    done < <(spec_responses)
    echo "# openapi: $count documented responses answered as documented" >&3
    [ "$count" -ge 15 ]
}

@test "one trailing slash is accepted on every documented path" {
    local method path want
    while read -r method path want; do
        [[ $want == 200 ]] || continue
        [[ $path == / ]] && continue
        if [[ $method == POST ]]; then
            req POST "$path/" "$ORDER"
        else
            req GET "$(example_path "$path")/"
        fi
        [[ $status == 200 ]] || { echo "$method $path/: $status $body"; return 1; }
    done < <(spec_responses)
    req GET /stocks//
    [ "$status" = 404 ]
}

@test "the same error has the same message on every route: an unknown stock" {
    req GET /stocks/NoSuchStock
    local lookup=$body
    req POST /orders '{"name":"NoSuchStock","quantity":1,"type":"buy"}'
    [ "$body" = "$lookup" ]
    [ "$(jq -r .error.message <<< "$body")" = "stock not found" ]
}

@test "a form or text/plain cannot trade: 415, and nothing traded" {
    local before
    before=$(next_number)
    for type in text/plain application/x-www-form-urlencoded "multipart/form-data; boundary=x" ""; do
        req POST /orders "$ORDER" "$type"
        [ "$status" = 415 ] || { echo "Content-Type '$type': $status $body"; return 1; }
    done
    req POST /orders "$ORDER" "application/json; charset=utf-8"
    [ "$status" = 200 ]
    [ "$(next_number)" = $((before + 1)) ]
}

@test "the REST API listens on 127.0.0.1 only (http_host's default)" {
    run ss -Hltn "sport = :$BAZAAR_HTTP_PORT"
    echo "$output"
    [[ $output == *"127.0.0.1:$BAZAAR_HTTP_PORT"* ]]
    [[ $output != *"0.0.0.0:$BAZAAR_HTTP_PORT"* ]]
}

@test "every service logged its effective settings, CURVE included" {
    local svc
    for svc in bus catalog frontend order1 order2 order3; do
        grep -q "settings from .* http_port=$BAZAAR_HTTP_PORT port_base=$BAZAAR_PORT_BASE .*curve=off" \
            "$BAZAAR_DATA/logs/$svc.log" || { echo "$svc: no settings line"; return 1; }
    done
}

@test "cluster.env: later commands need no ports, and other ones are refused" {
    grep -qx "BAZAAR_PORT_BASE=$BAZAAR_PORT_BASE" "$BAZAAR_DATA/cluster.env"
    grep -qx "BAZAAR_CURVE=off" "$BAZAAR_DATA/cluster.env"
    local leader
    leader=$("$CLUSTER" leader)
    run env -u BAZAAR_PORT_BASE -u BAZAAR_HTTP_PORT "$CLUSTER" leader
    [ "$status" -eq 0 ] && [ "$output" = "$leader" ]
    run env -u BAZAAR_PORT_BASE -u BAZAAR_HTTP_PORT "$BAZAAR_BIN/bazaar-busctl" leader
    [ "$status" -eq 0 ] && [ "$output" = "$leader" ]
    run --separate-stderr env BAZAAR_PORT_BASE=$((BAZAAR_PORT_BASE + 64)) "$CLUSTER" kill leader
    [ "$status" -eq 2 ]
    [[ $stderr == *"runs with $BAZAAR_PORT_BASE"* ]]
    run --separate-stderr env BAZAAR_CURVE=on "$CLUSTER" restart order1
    [ "$status" -eq 2 ]
    assert_services_up
    run env -u BAZAAR_HTTP_PORT "$BAZAAR_BIN/bazaar-client" --sessions 1 --iterations 5 --p 0
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "the 503s: no catalog, then no order leader; /health says which; status exits 3" {
    "$CLUSTER" kill catalog
    wait_for_status () {        #   PATH STATUS: up to 10 s
        local i
        for ((i = 0; i < 100; i++)); do
            req GET "$1"
            [[ $status == "$2" ]] && return 0
            sleep 0.1
        done
        echo "GET $1: $status $body, not $2"
        return 1
    }
    wait_for_status /health 503
    [[ $(jq -r .error.message <<< "$body") == "no live catalog worker" ]]
    run "$CLUSTER" status
    [ "$status" -eq 3 ]
    local method path want
    while read -r method path want; do
        [[ $want == 503 && $path == /stocks* ]] || continue
        provoke "$method" "$path" "$want"
        check_response "$method" "$path" "$want"
    done < <(spec_responses)
    "$CLUSTER" restart catalog
    wait_for_status /health 200
    for svc in order1 order2 order3; do "$CLUSTER" kill "$svc"; done
    wait_for_status /health 503
    [[ $(jq -r .error.message <<< "$body") == "no order leader" ]]
    while read -r method path want; do
        [[ $want == 503 && $path != /stocks* ]] || continue
        provoke "$method" "$path" "$want"
        check_response "$method" "$path" "$want"
    done < <(spec_responses)
    req GET /health/live
    [ "$status" = 200 ]
    for svc in order1 order2 order3; do "$CLUSTER" restart "$svc"; done
    wait_for_status /health 200
    run "$CLUSTER" status
    [ "$status" -eq 0 ]
}

@test "the services logged no sanitizer error" {
    assert_no_sanitizer_errors
}
