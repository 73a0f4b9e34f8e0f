#   helpers: a private cluster per .bats file (free ports, fresh data dir) and HTTP helpers.
#   Loaded by every tests/e2e/*.bats with `load helpers`; the cluster is scripts/cluster.
#
#   In a .bats file:
#       setup_file ()    { cluster_setup; }
#       teardown_file () { cluster_teardown; }
#       teardown ()      { cluster_test_teardown; }   # service logs when a test failed

E2E_REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CLUSTER=$E2E_REPO/scripts/cluster
export E2E_REPO CLUSTER

#   The services this cluster runs: order replicas only once they are built.
cluster_services () {
    echo bus catalog frontend
    [[ -x ${BAZAAR_BIN:-$E2E_REPO/build}/bazaar-order ]] && echo order1 order2 order3
    return 0
}

#   Ports are picked in blocks of 32 (bz_config uses port_base+0..+29; HTTP gets +30),
#   below the kernel's ephemeral range so an outgoing connection cannot hold one. When
#   scripts/run-tests runs several files at once, each takes its slot's share of the
#   range (E2E_PORT_SLOT of E2E_PORT_SLOTS), so two files never pick the same block.
e2e_pick_ports () {
    local low=20000 high=50000 ephemeral base used try port ok share
    ephemeral=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 0)
    if [[ $ephemeral =~ ^[0-9]+$ ]] && ((ephemeral > low + 32 * 64 && ephemeral < high)); then
        high=$ephemeral
    fi
    if [[ ${E2E_PORT_SLOTS:-1} -gt 1 && ${E2E_PORT_SLOT:-0} -lt ${E2E_PORT_SLOTS:-1} ]]; then
        share=$(((high - low) / E2E_PORT_SLOTS / 32 * 32))
        low=$((low + E2E_PORT_SLOT * share))
        high=$((low + share))
    fi
    for ((try = 0; try < 50; try++)); do
        base=$((low + 32 * (RANDOM % ((high - low) / 32 - 1))))
        used=$(ss -Htan 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }' | sort -un)
        ok=1
        for ((port = base; port < base + 32; port++)); do
            if grep -qxF "$port" <<< "$used"; then ok=; break; fi
            #   Without ss: a connect that succeeds means a listener.
            if (: < "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then ok=; break; fi
        done
        if [[ -n $ok ]]; then
            BAZAAR_PORT_BASE=$base
            BAZAAR_HTTP_PORT=$((base + 30))
            return 0
        fi
    done
    echo "no free block of 32 ports found in $low-$high" >&2
    return 1
}

#   Starts a fresh cluster for this file. Settings already in the environment
#   (BAZAAR_CACHE, BAZAAR_CACHE_SIZE, ...) are passed on to the services.
cluster_setup () {
    local out
    BAZAAR_BIN=$(realpath -m -- "${BAZAAR_BIN:-$E2E_REPO/build}")
    BAZAAR_DATA=$(mktemp -d "${TMPDIR:-/tmp}/bazaar-e2e.XXXXXX")
    export BAZAAR_BIN BAZAAR_DATA
    for _ in 1 2 3; do
        e2e_pick_ports || return 1
        export BAZAAR_PORT_BASE BAZAAR_HTTP_PORT
        if out=$("$CLUSTER" start 2>&1); then
            return 0
        fi
        #   Another test run took the ports between our check and the bind: again.
        grep -q 'already in use' <<< "$out" || break
        "$CLUSTER" stop > /dev/null 2>&1 || true
    done
    echo "cluster start failed (data $BAZAAR_DATA, bin $BAZAAR_BIN):"
    echo "$out"
    cluster_print_logs
    "$CLUSTER" stop > /dev/null 2>&1 || true
    return 1
}

#   Stops the cluster; the data dir is kept (and named) when a test failed.
cluster_teardown () {
    [[ -n ${BAZAAR_DATA:-} && -d $BAZAAR_DATA ]] || return 0
    "$CLUSTER" stop > /dev/null 2>&1 || true
    if [[ -e $BAZAAR_DATA/e2e-failed ]]; then
        echo "# data and logs kept in $BAZAAR_DATA" >&3
    else
        rm -rf "$BAZAAR_DATA"
    fi
}

#   Per test: when it failed, show what the services said meanwhile.
cluster_test_teardown () {
    if [[ -z ${BATS_TEST_COMPLETED:-} && -n ${BAZAAR_DATA:-} ]]; then
        touch "$BAZAAR_DATA/e2e-failed"
        echo "--- cluster status:"
        "$CLUSTER" status 2>&1 || true
        cluster_print_logs 30
    fi
}

cluster_print_logs () {
    local log
    for log in "$BAZAAR_DATA"/logs/*.log; do
        [[ -f $log ]] || continue
        echo "--- last lines of $log:"
        tail -n "${1:-40}" "$log"
    done
}

#   Every process of this cluster, found by its environment: the pid files could lie.
#   Two greps pick the candidates (a command line holding "/bazaar-", an environment
#   holding our BAZAAR_DATA), then each is checked as before: argv[0] or argv[1] runs a
#   bazaar- binary. Five commands for each process of the machine, under bats'
#   per-command trap, made one call take 10-36 s here.
cluster_processes () {
    local files=() file dir pid exe
    mapfile -t files < <(grep -lasF -- /bazaar- /proc/[0-9]*/cmdline | sed 's|/cmdline$|/environ|')
    ((${#files[@]} > 0)) || return 0
    for file in $(grep -lszxF -- "BAZAAR_DATA=$BAZAAR_DATA" "${files[@]}"); do
        dir=${file%/environ}
        pid=${dir#/proc/}
        exe=$(tr '\0' '\n' < "$dir/cmdline" 2>/dev/null | head -n 2 | grep -m1 '/bazaar-') || continue
        tr '\0' '\n' < "$dir/environ" 2>/dev/null | grep -qxF "BAZAAR_DATA=$BAZAAR_DATA" || continue
        echo "$pid $exe"
    done
}

#   Sanitizer reports in the service logs (the suite runs on an ASan/UBSan build).
cluster_sanitizer_errors () {
    grep -HnE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Undefined)' \
        "$BAZAAR_DATA"/logs/*.log 2>/dev/null
}

#   assert_no_sanitizer_errors: fails, printing the reports and the logs' tails, when any
#   service logged an ASan, UBSan or LeakSanitizer report.
assert_no_sanitizer_errors () {
    local errors
    errors=$(cluster_sanitizer_errors) || true
    if [ -n "$errors" ]; then
        echo "$errors"
        cluster_print_logs 60
        return 1
    fi
}

#   assert_services_up [SVC...]: `scripts/cluster status` shows every service of the
#   cluster up, except those named; it exits 0, or 3 (a service down) when some are named.
assert_services_up () {
    local output svc rc=0
    output=$("$CLUSTER" status) || rc=$?
    ((rc == 0 || (rc == 3 && $# > 0))) || { echo "status exit $rc: $output"; return 1; }
    echo "$output"
    for svc in $(cluster_services); do
        [[ " $* " == *" $svc "* ]] && continue
        grep -qE "^$svc +[0-9]+ +up$" <<< "$output" || { echo "$svc is not up"; return 1; }
    done
}

now_ms () {
    date +%s%3N
}

#   http_get PATH, http_post PATH BODY [HEADER]: set $status (000 when no answer)
#   and $body. The path is sent as is: no ../ folding by curl.
e2e_http () {
    local method=$1 path=$2 data=${3-} header=${4-} out
    local args=(-s --path-as-is --max-time "${HTTP_MAX_TIME:-10}" -w '%{http_code}')
    if [[ $method == POST ]]; then
        args+=(-X POST -H 'Content-Type: application/json' --data-binary "$data")
    fi
    [[ -n $header ]] && args+=(-H "$header")
    out=$(curl "${args[@]}" "http://127.0.0.1:$BAZAAR_HTTP_PORT$path") || true
    [[ -n $out ]] || out=000
    status=${out: -3}
    body=${out:0:${#out}-3}
}

http_get () {
    e2e_http GET "$1"
}

http_post () {
    e2e_http POST "$1" "$2" "${3-}"
}

#   Polls `GET PATH` every 100 ms until it answers 200; sets $elapsed_ms (since
#   START_MS), $status and $body. Fails after LIMIT_MS.
wait_for_200 () {
    local path=$1 start=$2 limit=$3
    while :; do
        http_get "$path"
        if [[ $status == 200 ]]; then
            # shellcheck disable=SC2034  # read by the caller
            elapsed_ms=$(($(now_ms) - start))
            return 0
        fi
        if (($(now_ms) - start > limit)); then
            echo "no 200 from $path within $limit ms (last: $status $body)" >&2
            return 1
        fi
        sleep 0.1
    done
}

#   Asserts the body is a JSON error with the given code: {"error":{"code":C,"message":"..."}}
assert_json_error () {
    local code=$1
    jq -e --argjson code "$code" \
        '(.error | type == "object") and .error.code == $code and (.error.message | type == "string")' \
        <<< "$body" > /dev/null || {
        echo "expected a JSON error $code, got: $status $body"
        return 1
    }
}

#   --------------------------------------------------------------------------
#   Orders and the books (orders.bats, atomicity.bats, client.bats).

#   The initial quantity of every stock on a fresh cluster (data/catalog.csv has none).
E2E_INITIAL_QUANTITY=100

#   post_order NAME QUANTITY TYPE [KEY]: POST /orders; sets $status, $body and $number
#   (the transaction number on a 200, empty otherwise).
post_order () {
    local json
    json=$(jq -cn --arg name "$1" --argjson quantity "$2" --arg type "$3" \
               '{name: $name, quantity: $quantity, type: $type}')
    http_post /orders "$json" "${4:+Idempotency-Key: $4}"
    number=
    if [[ $status == 200 ]]; then
        number=$(jq -er '.data.transaction_number | select(type == "number")' <<< "$body") || number=
    fi
}

#   fetch_orders: every order the cluster acknowledges, walking GET /orders/0, 1, ...
#   (100 per curl, one connection) until the first 404. Sets $orders (a JSON array of
#   the .data records, index = number) and $orders_count. Fails, saying why, on any
#   other answer, on a record that is not exactly {number, name, type, quantity} with
#   number = its index, and on a gap: an order found after the first 404.
fetch_orders () {
    local from=0 url file summary n=0 ok code rest bad
    url="http://127.0.0.1:$BAZAAR_HTTP_PORT/orders"
    file=$(mktemp)
    orders='[]'
    orders_count=0
    #   awk does the per-order work: under bats every bash command pays for its traps.
    while :; do
        summary=$(curl -s --max-time 30 -w '\n%{http_code}\n' "$url/[$from-$((from + 99))]" \
                  | awk -v out="$file" '
                        NR % 2 == 1 { body = $0; next }
                        $0 != "200" { print ok + 0, $0, body; stopped = 1; exit }
                        { print body >> out; ok++ }
                        END { if (!stopped) print ok + 0, "more" }')
        read -r ok code rest <<< "$summary"
        n=$((n + ok))
        if [[ $code == 404 ]]; then
            if [[ $rest != '{"error":{"code":404,"message":"order not found"}}' ]]; then
                echo "fetch_orders: GET /orders/$n: 404 with body $rest"
                rm -f "$file"
                return 1
            fi
            break
        fi
        if [[ $code != more || $ok != 100 ]]; then
            echo "fetch_orders: GET /orders/$n: ${code:-no answer} $rest"
            rm -f "$file"
            return 1
        fi
        from=$((from + 100))
    done
    #   No gap: nothing beyond the first missing number either.
    bad=$(curl -s --max-time 30 -w '\n%{http_code}\n' "$url/[$((n + 1))-$((n + 5))]" \
          | awk -v n="$n" 'NR % 2 == 1 { body = $0; next }
                           $0 != "404" { print "/orders/" n + NR / 2, "answers", $0, body }')
    if [[ -n $bad ]]; then
        echo "fetch_orders: gap: /orders/$n is 404 but $bad"
        rm -f "$file"
        return 1
    fi
    if ((n > 0)); then
        orders=$(jq -cs '[.[].data]' "$file") || {
            echo "fetch_orders: a 200 body is not JSON"
            rm -f "$file"
            return 1
        }
        bad=$(jq -c 'to_entries[] | select((.value | type) != "object"
                  or (.value | keys) != ["name", "number", "quantity", "type"]
                  or .value.number != .key
                  or (.value.name | type) != "string"
                  or (.value.type | IN("buy", "sell") | not)
                  or (.value.quantity | type) != "number"
                  or .value.quantity < 1 or .value.quantity > 1000000
                  or .value.quantity != (.value.quantity | floor)) | .value' <<< "$orders")
        if [[ -n $bad ]]; then
            echo "fetch_orders: malformed order records:"
            echo "$bad"
            rm -f "$file"
            return 1
        fi
    fi
    rm -f "$file"
    orders_count=$n
}

#   next_number: the transaction number the next successful trade will get (= the
#   number of orders). Prints it.
next_number () {
    fetch_orders || return 1
    echo "$orders_count"
}

#   check_books: the books balance. Fetches GET /stocks and every order (fetch_orders:
#   dense, from 0, well formed), then requires for every stock
#       quantity = 100 - Σ buys + Σ sells   and   volume = Σ quantities
#   over those orders, and that every order names a listed stock. Prints each
#   offending stock on failure. Sets $orders, $orders_count and $stocks.
check_books () {
    http_get /stocks
    if [[ $status != 200 ]]; then
        echo "check_books: GET /stocks: $status $body"
        return 1
    fi
    stocks=$(jq -c '.data' <<< "$body")
    fetch_orders || return 1
    local report
    report=$(jq -r --argjson stocks "$stocks" --argjson initial "$E2E_INITIAL_QUANTITY" '
        def sum(f): map(f) | add // 0;
        . as $orders
        | ($stocks | map(.name)) as $names
        | ($orders | group_by(.name)
           | map({key: .[0].name,
                  value: {quantity: ($initial - sum(select(.type == "buy") | .quantity)
                                              + sum(select(.type == "sell") | .quantity)),
                          volume: sum(.quantity), orders: length}})
           | from_entries) as $expected
        | ($stocks[] | . as $stock
           | ($expected[$stock.name] // {quantity: $initial, volume: 0, orders: 0}) as $want
           | select($stock.quantity != $want.quantity or $stock.volume != $want.volume)
           | "\($stock.name): quantity \($stock.quantity), volume \($stock.volume); "
             + "expected quantity \($want.quantity), volume \($want.volume) from \($want.orders) orders"),
          ($orders[] | select(.name as $name | $names | any(. == $name) | not)
           | "order \(.number) trades \(.name), which GET /stocks does not list")' <<< "$orders") || {
        echo "check_books: jq could not compute the books"
        return 1
    }
    if [[ -n $report ]]; then
        echo "check_books: the books do not balance over orders 0..$((orders_count - 1)):"
        echo "$report"
        return 1
    fi
}

#   snapshot_state: the observable state, for "nothing changed" checks: every stock
#   (quantity, volume) and the next transaction number. Sets $state.
snapshot_state () {
    http_get /stocks
    if [[ $status != 200 ]]; then
        echo "snapshot_state: GET /stocks: $status $body"
        return 1
    fi
    quick_next || return 1
    # shellcheck disable=SC2034  # read by the caller
    state="next=$next_known $(jq -c '[.data[] | [.name, .quantity, .volume]]' <<< "$body")"
}

#   quick_next: sets next_known to the number the next trade will get, by probing GET
#   /orders around the value it found last (numbers are dense: fetch_orders checks
#   that); when that guess is off, by counting every order (fetch_orders).
quick_next () {
    local guess=${next_known:-0} codes
    if ((guess > 0)); then
        codes=$(curl -s -o /dev/null --max-time 30 -w '%{http_code} ' \
                "http://127.0.0.1:$BAZAAR_HTTP_PORT/orders/{$((guess - 1)),$guess}")
        [[ $codes == "200 404 " ]] && return 0
    fi
    fetch_orders || return 1
    next_known=$orders_count
}

#   stock_field NAME FIELD: prints one field of GET /stocks (quantity or volume).
stock_field () {
    http_get /stocks
    [[ $status == 200 ]] || { echo "GET /stocks: $status $body" >&2; return 1; }
    jq -er --arg name "$1" --arg field "$2" '.data[] | select(.name == $name) | .[$field]' <<< "$body"
}

#   wait_leader ID LIMIT_MS: waits until the bus names replica ID as the order leader
#   (the live order worker with the highest id).
wait_leader () {
    local want=$1 limit=${2:-10000} start leader
    start=$(now_ms)
    while :; do
        leader=$("$CLUSTER" leader 2>/dev/null) || leader=
        [[ $leader == "$want" ]] && return 0
        if (($(now_ms) - start > limit)); then
            echo "order leader is '${leader:-none}', not $want, after $limit ms"
            return 1
        fi
        sleep 0.1
    done
}

#   wait_no_order_worker LIMIT_MS: waits until /health answers 503 "no order leader".
wait_no_order_worker () {
    local limit=${1:-10000} start
    start=$(now_ms)
    while :; do
        http_get /health
        [[ $status == 503 ]] && jq -e '.error.message | test("no order leader")' <<< "$body" > /dev/null && return 0
        if (($(now_ms) - start > limit)); then
            echo "order workers still live after $limit ms: $status $body"
            return 1
        fi
        sleep 0.1
    done
}

#   post_until_200 NAME QUANTITY TYPE KEY LIMIT_MS: repeats one order (same key) until
#   it gets 200; sets $number, $status, $body, $tries.
post_until_200 () {
    local limit=$5 start
    start=$(now_ms)
    tries=0
    while :; do
        tries=$((tries + 1))
        post_order "$1" "$2" "$3" "$4"
        [[ $status == 200 && -n $number ]] && return 0
        if (($(now_ms) - start > limit)); then
            echo "order $4 got no 200 within $limit ms ($tries tries; last: $status $body)"
            return 1
        fi
        sleep 0.1
    done
}

#   svc_up SVC: true if scripts/cluster status shows SVC up.
svc_up () {
    "$CLUSTER" status 2>/dev/null | grep -qE "^$1 +[0-9]+ +up$"
}

#   --------------------------------------------------------------------------
#   Failover and chaos (failover.bats, chaos.bats, scripts/chaos, which sources this
#   file with BATS_TEST_DIRNAME set).


#   replica_digest N: prints "<orders> <sha1>" of replica N's log (bazaar-order --digest
#   reads the SQLite file directly, so it works whether or not the replica runs).
replica_digest () {
    (cd "$E2E_REPO" && "${BAZAAR_BIN:-$E2E_REPO/build}/bazaar-order" \
        --config "${BAZAAR_CONFIG:-$E2E_REPO/data/bazaar.cfg}" --id "$1" --digest)
}

#   wait_digests_equal LIMIT_MS ID...: waits until the logs of the given replicas all
#   have the same digest; sets $digest (the common one) and $elapsed_ms. On timeout
#   prints every digest and fails.
wait_digests_equal () {
    local limit=$1 start id first line all
    shift
    start=$(now_ms)
    while :; do
        first= all=1
        for id in "$@"; do
            line=$(replica_digest "$id") || line="error"
            [[ -z $first ]] && first=$line
            [[ $line == "$first" ]] || all=
        done
        if [[ -n $all && $first != error ]]; then
            digest=$first
            # shellcheck disable=SC2034  # read by the caller
            elapsed_ms=$(($(now_ms) - start))
            return 0
        fi
        if (($(now_ms) - start > limit)); then
            echo "replica logs differ after $limit ms:"
            for id in "$@"; do echo "  order$id: $(replica_digest "$id" 2>&1)"; done
            return 1
        fi
        sleep 0.2
    done
}

#   leading_epochs ID: prints every epoch replica ID took as leader, oldest first (its
#   log's "leading at epoch N" lines).
leading_epochs () {
    sed -n 's/.*: leading at epoch \([0-9][0-9]*\).*/\1/p' "$BAZAAR_DATA/logs/order$1.log" 2>/dev/null
}
