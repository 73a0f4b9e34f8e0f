#!/usr/bin/env bats
# run-tests: alone
#   lookup: the read path end to end (frontend → bus → catalog), its errors, and its
#   recovery after SIGKILL of the catalog or the bus. Run by scripts/run-tests.
#
#   One cluster serves the whole file and the tests run in order: the fresh-state
#   checks come first, the kills after them, `stop` last. The frontend cache is off
#   here so every lookup really crosses the bus: a cached answer would hide a dead
#   catalog; the cache has its own tests.

load helpers

setup_file () {
    export BAZAAR_CACHE=off
    cluster_setup
}

teardown_file () {
    cluster_teardown
}

teardown () {
    cluster_test_teardown
}

#   The initial stocks, `name price` per line, from the file the catalog loads.
catalog_stocks () {
    tail -n +2 "$E2E_REPO/data/catalog.csv" | tr -d '\r' | awk -F, 'NF >= 2 { print $1, $2 }'
}

@test "GET /health answers 200" {
    http_get /health
    [ "$status" = 200 ]
}

@test "GET /stocks/GameStart: 200, exactly name, price, quantity; 100 shares on a fresh cluster" {
    http_get /stocks/GameStart
    echo "$status $body"
    [ "$status" = 200 ]
    [ "$(jq -c '.data | keys' <<< "$body")" = '["name","price","quantity"]' ]
    [ "$(jq -r .data.name <<< "$body")" = GameStart ]
    [ "$(jq -r .data.quantity <<< "$body")" = 100 ]
    jq -e '.data.price == 15.99' <<< "$body"
}

@test "every stock of data/catalog.csv is found, with its price and 100 shares" {
    local name price count=0
    while read -r name price; do
        http_get "/stocks/$name"
        echo "$name: $status $body"
        [ "$status" = 200 ]
        jq -e --arg name "$name" --argjson price "$price" \
            '.data.name == $name and .data.price == $price and .data.quantity == 100' <<< "$body"
        count=$((count + 1))
    done < <(catalog_stocks)
    [ "$count" -ge 10 ]
}

@test "unknown stock: 404 {\"error\":{\"code\":404,\"message\":\"stock not found\"}}" {
    http_get /stocks/NoSuchStock
    echo "$status $body"
    [ "$status" = 404 ]
    jq -e '. == {"error": {"code": 404, "message": "stock not found"}}' <<< "$body"
}

@test "GET /stocks lists at least 10 stocks, each with volume" {
    http_get /stocks
    echo "$status $body"
    [ "$status" = 200 ]
    #   .data as an array of stocks, or as an object keyed by name.
    local stocks
    stocks=$(jq -c '.data | if type == "array" then . else [to_entries[] | .value + {name: .key}] end' <<< "$body")
    [ "$(jq length <<< "$stocks")" -ge 10 ]
    jq -e 'all(.[]; (.volume | type == "number") and (.quantity | type == "number")
                    and (.name | type == "string"))' <<< "$stocks"
    jq -e 'any(.[]; .name == "GameStart" and .volume == 0 and .quantity == 100)' <<< "$stocks"
}

@test "unknown path: 404 JSON error" {
    http_get /no/such/path
    echo "$status $body"
    [ "$status" = 404 ]
    assert_json_error 404
}

@test "a 300-character stock name: 4xx JSON error" {
    local name
    name=$(printf 'A%.0s' {1..300})
    http_get "/stocks/$name"
    echo "$status $body"
    [ "$status" -ge 400 ]
    [ "$status" -lt 500 ]
    assert_json_error "$status"
}

@test "/stocks/../etc/passwd: 4xx, no file served" {
    http_get /stocks/../etc/passwd
    echo "$status $body"
    [ "$status" -ge 400 ]
    [ "$status" -lt 500 ]
    [[ $body != *root:* ]]
}

@test "scripts/cluster status shows every service up" {
    assert_services_up
}

@test "catalog down: a lookup gets a JSON 503, not a hang" {
    run "$CLUSTER" kill catalog
    [ "$status" -eq 0 ]
    local t0 elapsed
    t0=$(now_ms)
    http_get /stocks/GameStart
    elapsed=$(($(now_ms) - t0))
    echo "$status $body after $elapsed ms"
    echo "# catalog down: $status after $elapsed ms" >&3
    [ "$status" = 503 ]
    assert_json_error 503
    #   Losing a worker, even with requests in flight, takes nothing else down.
    assert_services_up catalog
}

@test "catalog SIGKILL, restart: lookups answer within 2 s of the restart" {
    "$CLUSTER" kill catalog
    local t0 elapsed
    t0=$(now_ms)
    "$CLUSTER" restart catalog
    wait_for_200 /stocks/GameStart "$t0" 10000
    elapsed=$elapsed_ms
    echo "# catalog restart to first 200: $elapsed ms" >&3
    [ "$elapsed" -le 2000 ]
    [ "$(jq -r .data.quantity <<< "$body")" = 100 ]
}

@test "bus SIGKILL, restart: lookups answer within 2 s, frontend not restarted" {
    local frontend_pid t0 elapsed
    frontend_pid=$(cat "$BAZAAR_DATA/run/frontend.pid")
    "$CLUSTER" kill bus
    t0=$(now_ms)
    "$CLUSTER" restart bus
    wait_for_200 /stocks/GameStart "$t0" 10000
    elapsed=$elapsed_ms
    echo "# bus restart to first 200: $elapsed ms" >&3
    [ "$elapsed" -le 2000 ]
    [ "$(cat "$BAZAAR_DATA/run/frontend.pid")" = "$frontend_pid" ]
    kill -0 "$frontend_pid"
    #   Every stock, not just one: all the workers came back.
    local name price
    while read -r name price; do
        http_get "/stocks/$name"
        [ "$status" = 200 ]
    done < <(catalog_stocks)
}

@test "scripts/cluster stop leaves no process behind" {
    local before
    before=$(cluster_processes)
    echo "before stop: $before"
    [ -n "$before" ]
    run "$CLUSTER" stop
    echo "$output"
    [ "$status" -eq 0 ]
    local left
    left=$(cluster_processes)
    echo "after stop: $left"
    [ -z "$left" ]
    run "$CLUSTER" status
    [ "$(grep -c ' up$' <<< "$output")" = 0 ]
}

@test "the services logged no sanitizer error" {
    assert_no_sanitizer_errors
}
