#!/usr/bin/env bats
#   atomicity: a trade survives a crash at each step between the catalog's commit and
#   the order leader's reply (docs/atomicity.md, "Every crash point"). Run by
#   scripts/run-tests.
#
#   Each test restarts one service with BAZAAR_CRASH_AT=<step> (bus/lib/bz_crash.c: it
#   exits at exactly that step), sends orders with Idempotency-Keys, checks that the
#   crash happened, restarts the service normally and retries every key until 200.
#   Then: each key has one transaction number, the numbers are the next ones with no
#   gap, each reads back as its order, and the books balance (check_books). One
#   cluster serves the whole file.

load helpers

setup_file () {
    unset BAZAAR_CRASH_AT
    cluster_setup
}

teardown_file () {
    cluster_teardown
}

teardown () {
    cluster_test_teardown
    #   A failed test may leave services down or frozen: bring them back.
    if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
        [[ -f $BAZAAR_DATA/run/order3.pid ]] && kill -CONT "$(cat "$BAZAAR_DATA/run/order3.pid")" 2>/dev/null
        "$CLUSTER" start > /dev/null 2>&1 || true
    fi
}

#   The order of key I in a run: its stock, quantity and side.
ORDER_NAMES=(GameStart FishCo BoarCo MenhirCo GreenLeaf SilverLine)
order_of () {
    local i=$1
    echo "${ORDER_NAMES[i % ${#ORDER_NAMES[@]}]} $((i + 1)) $( ((i % 2)) && echo sell || echo buy)"
}

crash_count () {
    grep -c "crash point $2 reached" "$BAZAAR_DATA/logs/$1.log" 2>/dev/null || true
}

#   Waits until SVC (catalog or order3) is down in the bus's eyes too, so the next
#   start registers a fresh worker rather than racing the dead one's expiry.
wait_dropped () {
    case $1 in
        catalog)
            local start
            start=$(now_ms)
            while http_get /health; [ "$status" = 200 ]; do
                (($(now_ms) - start < 5000)) || { echo "the bus still lists the catalog"; return 1; }
                sleep 0.1
            done
            ;;
        order3)
            wait_leader 2 5000 ;;
    esac
}

#   Waits until SVC (just started) serves.
wait_serving () {
    case $1 in
        catalog) wait_for_200 /stocks/GameStart "$(now_ms)" 10000 ;;
        order3)  wait_leader 3 10000 ;;
    esac
}

#   Waits until SVC's process is gone (it crashed at its step).
wait_exited () {
    local svc=$1 start
    start=$(now_ms)
    while svc_up "$svc"; do
        if (($(now_ms) - start > 10000)); then
            echo "$svc still runs 10 s after the orders: the crash point was not reached"
            return 1
        fi
        sleep 0.1
    done
}

#   crash_run STEP SVC COUNT: the whole scenario with COUNT orders sent at once (they
#   may share one batch), then every assertion.
crash_run () {
    local step=$1 svc=$2 count=$3 next crashes dir i name quantity side first
    local -a numbers=()
    next=$(next_number)
    crashes=$(crash_count "$svc" "$step")
    "$CLUSTER" kill "$svc"
    wait_dropped "$svc"
    BAZAAR_CRASH_AT=$step "$CLUSTER" restart "$svc"
    wait_serving "$svc"

    dir=$(mktemp -d)
    for ((i = 0; i < count; i++)); do
        read -r name quantity side <<< "$(order_of "$i")"
        ( post_order "$name" "$quantity" "$side" "e2e-$step-$$-$i"
          echo "$status $number $body" > "$dir/$i" ) &
    done
    wait
    local firsts=
    for ((i = 0; i < count; i++)); do
        echo "first answer to key $i: $(cat "$dir/$i")"
        read -r first _ < "$dir/$i"
        firsts+=" $first"
        #   200 when the bus requeued it to a replica that answered in time, else 503.
        [ "$first" = 200 ] || [ "$first" = 503 ]
    done

    echo "# $step, $count orders: first answers$firsts" >&3
    wait_exited "$svc"
    [ "$(crash_count "$svc" "$step")" = $((crashes + 1)) ]
    "$CLUSTER" restart "$svc"
    wait_serving "$svc"

    for ((i = 0; i < count; i++)); do
        read -r name quantity side <<< "$(order_of "$i")"
        post_until_200 "$name" "$quantity" "$side" "e2e-$step-$$-$i" 15000
        echo "key $i: number $number after $tries tries"
        read -r first first_number _ < "$dir/$i"
        if [ "$first" = 200 ]; then
            [ "$number" = "$first_number" ]
        fi
        numbers+=("$number")
        http_get "/orders/$number"
        jq -e --argjson n "$number" --arg name "$name" --argjson q "$quantity" --arg side "$side" \
            '.data == {number: $n, name: $name, type: $side, quantity: $q}' <<< "$body"
    done
    rm -rf "$dir"
    #   One number per key, exactly the next ones.
    [ "$(printf '%s\n' "${numbers[@]}" | sort -n | tr '\n' ' ')" = "$(seq -s ' ' "$next" $((next + count - 1))) " ]
    check_books
    [ "$orders_count" = $((next + count)) ]
    #   And the cluster goes on: the next trade takes the next number.
    post_order RedRock 1 sell
    [ "$status" = 200 ]
    [ "$number" = $((next + count)) ]
}

@test "a trade before any crash (numbers start at 0)" {
    post_order GameStart 1 buy
    [ "$status" = 200 ]
    [ "$number" = 0 ]
    check_books
}

@test "catalog.after_commit: the catalog dies after its commit, before its reply" {
    crash_run catalog.after_commit catalog 1
}

@test "order.after_catalog: the leader dies after the catalog's reply, before its log write" {
    crash_run order.after_catalog order3 1
}

@test "order.after_log: the leader dies after its log write, before its reply" {
    crash_run order.after_log order3 1
}

@test "catalog.after_commit with 4 orders at once" {
    crash_run catalog.after_commit catalog 4
}

@test "order.after_catalog with 4 orders at once" {
    crash_run order.after_catalog order3 4
}

@test "order.after_log with 4 orders at once" {
    crash_run order.after_log order3 4
}

@test "a leader frozen (SIGSTOP) with orders queued, then resumed: nothing traded twice, it survives" {
    #   The bus gives up on the frozen leader and its successor trades the orders; on
    #   SIGCONT the old leader still holds them as one batch, which the catalog refuses
    #   (stale number): it must reconcile, find all of them traded, and live on.
    local pid next i dir name quantity side first first_number
    wait_leader 3 5000
    next=$(next_number)
    pid=$(cat "$BAZAAR_DATA/run/order3.pid")
    kill -STOP "$pid"
    dir=$(mktemp -d)
    for i in 0 1 2; do
        read -r name quantity side <<< "$(order_of "$i")"
        ( post_order "$name" "$quantity" "$side" "e2e-frozen-$$-$i"
          echo "$status $number" > "$dir/$i" ) &
    done
    wait
    kill -CONT "$pid"
    for i in 0 1 2; do
        echo "answer to key $i while order3 was frozen: $(cat "$dir/$i")"
    done
    #   It re-registers and leads again; give it time to work through what it held.
    wait_leader 3 10000
    sleep 1
    if ! svc_up order3; then
        echo "order3 died after SIGCONT:"
        grep -A 24 'ERROR: AddressSanitizer' "$BAZAAR_DATA/logs/order3.log" \
            || tail -n 20 "$BAZAAR_DATA/logs/order3.log"
        "$CLUSTER" restart order3
        return 1
    fi
    for i in 0 1 2; do
        read -r name quantity side <<< "$(order_of "$i")"
        post_until_200 "$name" "$quantity" "$side" "e2e-frozen-$$-$i" 10000
        read -r first first_number < "$dir/$i"
        if [ "$first" = 200 ]; then
            [ "$number" = "$first_number" ]
        fi
    done
    rm -rf "$dir"
    check_books
    [ "$orders_count" = $((next + 3)) ]
}

@test "after all the crashes: every replica that leads serves the same log" {
    #   Kill the leaders one by one; each successor must serve every order.
    local reference
    check_books
    reference=$orders
    "$CLUSTER" kill order3
    wait_leader 2 5000
    check_books
    [ "$orders" = "$reference" ]
    "$CLUSTER" kill order2
    wait_leader 1 5000
    check_books
    [ "$orders" = "$reference" ]
    "$CLUSTER" restart order2
    "$CLUSTER" restart order3
    wait_leader 3 10000
    check_books
    [ "$orders" = "$reference" ]
}

@test "the services logged no sanitizer error" {
    assert_no_sanitizer_errors
}
