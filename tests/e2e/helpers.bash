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
#   below the kernel's ephemeral range so an outgoing connection cannot hold one.
e2e_pick_ports () {
    local low=20000 high=50000 ephemeral base used try port ok
    ephemeral=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 0)
    if [[ $ephemeral =~ ^[0-9]+$ ]] && ((ephemeral > low + 32 * 64 && ephemeral < high)); then
        high=$ephemeral
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
cluster_processes () {
    local dir pid exe
    for dir in /proc/[0-9]*; do
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
