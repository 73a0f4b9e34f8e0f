#!/usr/bin/env bats
# run-tests: alone
#   limits: the frontend's bounds under abuse and overload: oversized bodies and headers
#   refused quickly, slow and surplus connections not blocking a normal request, a full
#   bus queue answered 503 at once, memory flat over 20,000 mixed requests.
#
#   One cluster for the file, cache off (every lookup crosses the bus), only 16 HTTP
#   worker threads, and one bus socket with 4 requests in flight and 8 queued, so that
#   "more connections than threads" and "queue full" are cheap to reach.

load helpers

THREADS=16

setup_file () {
    export BAZAAR_CACHE=off BAZAAR_HTTP_THREADS=$THREADS
    export BAZAAR_BUS_SOCKETS=1 BAZAAR_BUS_INFLIGHT=4 BAZAAR_BUS_QUEUE_MAX=8
    #   An ASan build keeps freed memory in quarantine (256 MiB by default): the RSS
    #   test would measure the sanitizer, not us. A small one still catches misuse.
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4
    cluster_setup
}

teardown_file () {
    local pid
    pid=$(svc_pid_of catalog) && kill -CONT "$pid" 2>/dev/null
    cluster_teardown
}

teardown () {
    cluster_test_teardown
}

#   svc_pid_of SVC: the pid scripts/cluster status shows for SVC.
svc_pid_of () {
    "$CLUSTER" status 2>/dev/null | awk -v svc="$1" '$1 == svc && $3 == "up" { print $2; found = 1 } END { exit !found }'
}

#   The wrk script of the memory test: every route, good and bad, in turn.
write_mix_script () {
    cat > "$BAZAAR_DATA/mix.lua" <<'EOF'
local names = { "GameStart", "BoarCo", "NoSuchStock", "BlueOcean" }
local i = 0
request = function ()
    i = i + 1
    local k = i % 10
    if k == 0 then return wrk.format("GET", "/stocks")
    elseif k == 1 then return wrk.format("GET", "/orders/0")
    elseif k == 2 then return wrk.format("POST", "/orders", { ["Content-Type"] = "application/json" },
        '{"name":"GameStart","quantity":0,"type":"buy"}')
    elseif k == 3 then return wrk.format("POST", "/orders", { ["Content-Type"] = "application/json" },
        '{"name":"GameStart","quantity":1,"type":"' .. ((i % 20 == 3) and "buy" or "sell") .. '"}')
    elseif k == 4 then return wrk.format("GET", "/metrics")
    elseif k == 5 then return wrk.format("GET", "/no/such/path")
    elseif k == 6 then return wrk.format("GET", "/cache")
    elseif k == 7 then return wrk.format("POST", "/orders", nil, string.rep("[", 5000))
    else return wrk.format("GET", "/stocks/" .. names[(i % #names) + 1]) end
end
EOF
}

rss_kib () {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

#   timed_curl ARGS...: curl, setting $status, $body and $ms (wall time).
timed_curl () {
    local t0 out
    t0=$(now_ms)
    out=$(curl -s --max-time 15 -w '%{http_code}' "$@") || true
    ms=$(($(now_ms) - t0))
    [[ -n $out ]] || out=000
    status=${out: -3}
    body=${out:0:${#out}-3}
}

@test "a body over 4096 bytes gets 413 at once, by Content-Length or as it streams" {
    local url="http://127.0.0.1:$BAZAAR_HTTP_PORT/orders"
    timed_curl -X POST --data-binary "$(head -c 5000 /dev/zero | tr '\0' ' ')" "$url"
    echo "5000-byte body: $status in $ms ms: $body"
    [ "$status" = 413 ] && assert_json_error 413 && ((ms < 1000))
    #   50 MB streamed, chunked: read no further than 4 KiB, then cut off
    timed_curl -X POST -H 'Transfer-Encoding: chunked' --data-binary @<(head -c 50000000 /dev/zero) "$url"
    echo "50 MB chunked: $status in $ms ms"
    [[ $status == 413 || $status == 000 ]] && ((ms < 3000))
    #   A huge declared length, with the body coming fast
    timed_curl -X POST --data-binary @<(head -c 50000000 /dev/zero) "$url"
    echo "50 MB by Content-Length: $status in $ms ms"
    [[ $status == 413 || $status == 000 ]] && ((ms < 3000))
    http_get /stocks/GameStart
    [ "$status" = 200 ]
}

@test "headers over 16 KiB get 413 or 431, or a closed connection, at once" {
    local t0 response
    t0=$(now_ms)
    response=$(timeout 5 bash -c 'exec 3<> "/dev/tcp/127.0.0.1/$1"; printf "GET /stocks/GameStart HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\nConnection: close\r\n\r\n" "$2" >&3 2>/dev/null; cat <&3' \
        big "$BAZAAR_HTTP_PORT" "$(head -c 20000 /dev/zero | tr '\0' a)" 2>/dev/null | head -c 2000)
    local ms=$(($(now_ms) - t0))
    echo "${response:0:300} ($ms ms)"
    #   The frontend answers 431 and closes; but it closes with our unread header bytes
    #   in its socket, so the kernel may send a reset that discards the answer before we
    #   read it (seen once in a full run). A closed connection is what the issue allows.
    [[ -z $response || $response =~ ^HTTP/1\.[01]\ (413|431) ]] && ((ms < 2000))
}

@test "a body that dribbles in gets 408 within the 2 s read deadline" {
    local out
    out=$(timeout 10 bash -c '
        exec 3<> "/dev/tcp/127.0.0.1/$1"; trap "" PIPE
        printf "POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{" >&3
        for i in 1 2 3 4 5 6 7 8; do sleep 0.5; printf " " >&3 2>/dev/null || break; done &
        start=$(date +%s%3N); head -c 300 <&3; echo; echo "after $(( $(date +%s%3N) - start )) ms"' \
        slow "$BAZAAR_HTTP_PORT" 2>/dev/null)
    echo "$out"
    [[ $out =~ ^HTTP/1\.1\ 408 ]]
    grep -q '"code":408' <<< "$out"
    local ms
    ms=$(sed -n 's/^after \([0-9]*\) ms$/\1/p' <<< "$out")
    ((ms >= 1500 && ms < 4500))
}

@test "48 slow connections on 16 threads: a normal request is still served within 10 s" {
    local i pids=()
    for ((i = 0; i < 48; i++)); do
        timeout 12 bash -c 'exec 3<> "/dev/tcp/127.0.0.1/$1"; trap "" PIPE
            printf "GET /stocks HTTP/1.1\r\nHost: x\r\nX-Slow: " >&3
            while sleep 0.5; do printf x >&3 2>/dev/null || exit 0; done' \
            slow "$BAZAAR_HTTP_PORT" 2>/dev/null &
        pids+=($!)
    done
    sleep 0.5
    timed_curl "http://127.0.0.1:$BAZAAR_HTTP_PORT/stocks/GameStart"
    echo "# limits: with 48 slowloris connections on $THREADS threads: $status in $ms ms" >&3
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
    [[ $status == 200 || $status == 503 ]] && ((ms < 10000))
}

@test "48 busy keep-alive clients on 16 threads: a new connection is served within 5 s" {
    command -v wrk > /dev/null || skip "wrk is not installed"
    wrk -t2 -c48 -d8s "http://127.0.0.1:$BAZAAR_HTTP_PORT/stocks/GameStart" > "$BAZAAR_DATA/wrk-busy.txt" 2>&1 3>&- &
    local wrk_pid=$! worst=0 i
    sleep 1
    for i in 1 2 3 4 5; do
        timed_curl "http://127.0.0.1:$BAZAAR_HTTP_PORT/stocks/GameStart"
        echo "request $i: $status in $ms ms"
        [[ $status == 200 || $status == 503 ]] || { kill "$wrk_pid"; return 1; }
        ((ms > worst)) && worst=$ms
    done
    wait "$wrk_pid" || true
    cat "$BAZAAR_DATA/wrk-busy.txt"
    echo "# limits: a new connection beside 48 busy keep-alive ones on $THREADS threads: worst $worst ms" >&3
    ((worst < 5000))
}

@test "a stalled catalog: lookups beyond the bus queue get 503 overloaded at once" {
    local catalog url="http://127.0.0.1:$BAZAAR_HTTP_PORT/stocks/GameStart" i
    catalog=$(svc_pid_of catalog)
    kill -STOP "$catalog"
    #   4 lookups on the wire and 8 queued fill the bus client: of 30 concurrent
    #   lookups, every one beyond 12 is refused without waiting
    for ((i = 0; i < 30; i++)); do
        curl -s --max-time 10 -o "$BAZAAR_DATA/over.$i" -w '%{http_code} %{time_total}\n' "$url" \
            > "$BAZAAR_DATA/over.$i.status" &
    done
    sleep 0.5
    timed_curl "http://127.0.0.1:$BAZAAR_HTTP_PORT/metrics"
    local metrics_status=$status metrics_ms=$ms
    wait
    kill -CONT "$catalog"
    cat "$BAZAAR_DATA"/over.*.status | sort | uniq -c | head -20
    local quick
    quick=$(cat "$BAZAAR_DATA"/over.*.status | awk '$1 == 503 && $2 < 0.5' | wc -l)
    echo "quick 503s: $quick; /metrics meanwhile: $metrics_status in $metrics_ms ms"
    grep -h overloaded "$BAZAAR_DATA"/over.[0-9]* | head -1
    ((quick >= 5))
    grep -q '{"error":{"code":503,"message":"overloaded"}}' "$BAZAAR_DATA"/over.[0-9]*
    [ "$metrics_status" = 200 ] && ((metrics_ms < 1000))
    #   The catalog answers again: so do lookups
    wait_for_200 /stocks/GameStart "$(now_ms)" 10000
    http_get /metrics
    grep -E '^bazaar_frontend_overloaded_total\{reason="queue_full"\} [1-9]' <<< "$body"
}

@test "memory stays bounded over 20,000 mixed requests" {
    command -v wrk > /dev/null || skip "wrk is not installed"
    local pid before after total=0 n round
    pid=$(svc_pid_of frontend)
    write_mix_script
    #   Warm up: every thread's bus client, every route once
    wrk -t2 -c16 -d1s -s "$BAZAAR_DATA/mix.lua" "http://127.0.0.1:$BAZAAR_HTTP_PORT" > /dev/null 2>&1 3>&-
    before=$(rss_kib "$pid")
    for round in 1 2 3 4 5 6 7 8; do
        n=$(wrk -t2 -c16 -d3s -s "$BAZAAR_DATA/mix.lua" "http://127.0.0.1:$BAZAAR_HTTP_PORT" 2>&1 3>&- \
            | awk '/requests in/ { print $1 }')
        total=$((total + ${n:-0}))
        ((total >= 20000)) && break
    done
    after=$(rss_kib "$pid")
    echo "# limits: frontend VmRSS $((before / 1024)) MiB before, $((after / 1024)) MiB after $total mixed requests" >&3
    ((total >= 20000))
    #   Under ASan the allocator holds freed memory (quarantine, per-size regions) in
    #   proportion to what was allocated before, by earlier tests too: only the growth
    #   below says something about us there
    local cap=$((64 * 1024))
    grep -q libasan "/proc/$pid/maps" && cap=$((160 * 1024))
    ((after < cap))
    ((after - before < 16 * 1024))
    http_get /stocks/GameStart
    [ "$status" = 200 ]
}

@test "every service is still up; after stop, no sanitizer report in the logs" {
    assert_services_up
    "$CLUSTER" stop
    assert_no_sanitizer_errors
}
