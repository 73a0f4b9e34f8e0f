#!/usr/bin/env bats
# run-tests: alone
#   faults: the trade path under stalls, retries racing a failover and leader changes
#   (issue 9), each scenario followed by the full check (full_check below). Run by
#   scripts/run-tests.
#
#   One cluster serves the whole file and the tests run in order; each starts with every
#   service up and order3 leading. Time bounds are generous (a loaded 2-core box and a
#   sanitized build); the design targets are measured by scripts/bench, not here.

load helpers

#   Writes must succeed this soon after a fault ends (the issue's bound, in ms).
WRITE_LIMIT_MS=2000

setup_file () {
    unset BAZAAR_CRASH_AT
    cluster_setup
}

teardown_file () {
    cluster_teardown
}

teardown () {
    cluster_test_teardown
    #   A failed test may leave replicas frozen or down: bring them back.
    if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
        local pid
        for pid in $(cluster_processes | cut -d' ' -f1); do kill -CONT "$pid" 2>/dev/null; done
        "$CLUSTER" start > /dev/null 2>&1 || true
    fi
}

all_up () {
    "$CLUSTER" start > /dev/null
    wait_leader 3 10000
}

pid_of () {
    cat "$BAZAAR_DATA/run/$1.pid"
}

#   Every trade of a SQLite file as "number|name|side|quantity|key" lines, ascending:
#   the catalog's trades table or a replica's order log.
trades_of () {
    local table=orders
    [[ $1 == catalog ]] && table=trades
    sqlite3 -readonly "$BAZAAR_DATA/$1.db" \
        "SELECT number || '|' || name || '|' || side || '|' || quantity || '|' || key
         FROM $table ORDER BY number"
}

#   acked: "key number" lines of every acknowledged trade of a test, checked later.
ACKED=${BATS_FILE_TMPDIR:-/tmp}/faults-acked
record_ack () {
    echo "$1 $2 $3" >> "$ACKED"
}

#   full_check: after a fault, everything the issue asks of the trade core.
#   - a write succeeds within WRITE_LIMIT_MS (prints the time on fd 3);
#   - every acknowledged trade (record_ack) reads back unchanged under its number;
#   - the numbers are dense and the books balance (check_books);
#   - no key twice in the catalog's trades;
#   - every replica's log equals the catalog's trades, order for order (waits for the
#     replicas to converge).
full_check () {
    local start line probe="faults-probe-$$-$RANDOM"
    start=$(now_ms)
    post_until_200 GameStart 1 sell "$probe" "$WRITE_LIMIT_MS" || return 1
    echo "# a write succeeded $(($(now_ms) - start)) ms after the fault ended" >&3
    record_ack "$probe" "$number" "GameStart 1 sell"
    check_books || return 1
    if [[ -f $ACKED ]]; then
        #   One jq for all of them: two per trade took seconds a check once the load
        #   test had recorded a hundred, and four checks follow it.
        line=$(jq -r --rawfile acked "$ACKED" '
            . as $orders
            | $acked | split("\n")[] | select(. != "")
            | split(" ") as [$key, $want, $name, $quantity, $type]
            | ($orders[$want | tonumber] | [.name, .quantity, .type]) as $got
            | select($got != [$name, ($quantity | tonumber), $type])
            | "acknowledged trade \($want) (\($key): \($name) \($quantity) \($type)) reads back as \($got | tojson)"' \
            <<< "$orders") || { echo "cannot compare $ACKED with GET /orders"; return 1; }
        [[ -z $line ]] || { head -n 20 <<< "$line"; return 1; }
    fi
    line=$(sqlite3 -readonly "$BAZAAR_DATA/catalog.db" \
           "SELECT key, COUNT(*) FROM trades GROUP BY key HAVING COUNT(*) > 1 LIMIT 5")
    [[ -z $line ]] || { echo "keys traded twice in the catalog: $line"; return 1; }
    [[ $(trades_of catalog | wc -l) == "$orders_count" ]] || {
        echo "the catalog holds $(trades_of catalog | wc -l) trades, GET /orders $orders_count"
        return 1
    }
    local id limit=$(($(now_ms) + 15000))
    for id in 1 2 3; do
        until [[ $(trades_of "order$id") == "$(trades_of catalog)" ]]; do
            if (($(now_ms) > limit)); then
                echo "order$id's log differs from the catalog's trades:"
                diff <(trades_of catalog) <(trades_of "order$id") | head -20
                return 1
            fi
            sleep 0.2
        done
    done
}

@test "a fresh cluster trades" {
    all_up
    post_until_200 GameStart 1 buy "faults-first-$$" 5000
    record_ack "faults-first-$$" "$number" "GameStart 1 buy"
    full_check
}

#   The issue's first scenario: with no traffic, freeze the leader (order3) 1.2 s, so the
#   bus elects order2; resume it, wait 2.5 s, then kill order2. order3 and order1 are
#   up. Before the fix, order3 kept its old epoch, order1 ignored its stream and every
#   POST got 503 for as long as one waited.
@test "quiet pause: leader frozen 1.2 s, resumed, its successor killed: writes go on" {
    all_up
    local pid start
    pid=$(pid_of order3)
    kill -STOP "$pid"
    sleep 1.2
    kill -CONT "$pid"
    sleep 2.5
    "$CLUSTER" kill order2 > /dev/null
    start=$(now_ms)
    post_until_200 FishCo 2 buy "faults-quiet-$$" 5000
    echo "# first trade $(($(now_ms) - start)) ms after order2 was killed" >&3
    record_ack "faults-quiet-$$" "$number" "FishCo 2 buy"
    "$CLUSTER" restart order2 > /dev/null
    wait_leader 3 10000
    full_check
}


#   Load: N background clients, each posting orders with fresh keys until stopped and
#   recording every acknowledged one for full_check.
LOAD_PIDS=()
load_start () {
    local n=$1 c
    for ((c = 0; c < n; c++)); do
        (
            local i=0 out code num
            while :; do
                i=$((i + 1))
                out=$(curl -s --max-time 5 -X POST -H "Idempotency-Key: faults-load-$$-$c-$i" -H "Content-Type: application/json" \
                      -d '{"name":"BoarCo","quantity":1,"type":"sell"}' -w ' %{http_code}' \
                      "http://127.0.0.1:$BAZAAR_HTTP_PORT/orders") || true
                code=${out##* }
                if [[ $code == 200 ]]; then
                    num=$(jq -r '.data.transaction_number' <<< "${out% *}")
                    record_ack "faults-load-$$-$c-$i" "$num" "BoarCo 1 sell"
                fi
            done
        ) &
        LOAD_PIDS+=($!)
    done
}

load_stop () {
    kill "${LOAD_PIDS[@]}" 2> /dev/null || true
    wait "${LOAD_PIDS[@]}" 2> /dev/null || true
    LOAD_PIDS=()
}

#   A pause of 0.3..2.5 s under load (long enough, at the top, for the bus to elect
#   order2), then a follower killed: the acknowledged trades all stay, writes go on.
@test "a pause of 0.3-2.5 s under load, then a follower killed" {
    all_up
    local pid pause_ms
    pause_ms=$((300 + RANDOM % 2201))
    echo "# pausing order3 for $pause_ms ms under load" >&3
    load_start 4
    sleep 1
    pid=$(pid_of order3)
    kill -STOP "$pid"
    sleep "$((pause_ms / 1000)).$(printf '%03d' $((pause_ms % 1000)))"
    kill -CONT "$pid"
    sleep 1.5
    "$CLUSTER" kill order1 > /dev/null
    sleep 1.5
    load_stop
    echo "# $(wc -l < "$ACKED") trades acknowledged so far" >&3
    "$CLUSTER" restart order1 > /dev/null
    wait_leader 3 10000
    full_check
}

#   One key from 8 clients at once while the leader restarts: it trades once, and
#   every 200 names the same number.
@test "one key from several clients while the leader restarts: traded once" {
    all_up
    local key="faults-race-$$" dir i answers
    dir=$(mktemp -d)
    for i in $(seq 8); do
        curl -s --max-time 10 -X POST -H "Idempotency-Key: $key" -H "Content-Type: application/json" \
             -d '{"name":"MenhirCo","quantity":3,"type":"buy"}' -w ' %{http_code}\n' \
             "http://127.0.0.1:$BAZAAR_HTTP_PORT/orders" > "$dir/$i" &
        ((i == 3)) && "$CLUSTER" restart order3 > /dev/null &
    done
    wait
    post_until_200 MenhirCo 3 buy "$key" 10000
    record_ack "$key" "$number" "MenhirCo 3 buy"
    answers=$(cat "$dir"/* | grep ' 200$' | sort -u)
    rm -rf "$dir"
    echo "200 answers: $answers"
    [[ -z $answers || $answers == "{\"data\":{\"transaction_number\":$number}} 200" ]]
    #   The same key with another order is refused, not traded.
    post_order MenhirCo 4 buy "$key"
    [ "$status" = 422 ]
    wait_leader 3 10000
    full_check
}

#   The catalog's database lost: the catalog refuses to serve rather than re-import the
#   CSV (which would put every stock back at 100), and `scripts/cluster restore-catalog`
#   rebuilds the book and the trades from the replicas' logs, losing no acknowledged trade.
@test "catalog.db deleted: the catalog refuses to serve; restored from the replicas" {
    all_up
    local i
    for i in 1 2 3 4 5; do
        post_until_200 SilverLine "$i" buy "faults-lost-$$-$i" 5000
        record_ack "faults-lost-$$-$i" "$number" "SilverLine $i buy"
    done
    check_books
    "$CLUSTER" kill catalog > /dev/null
    rm -f "$BAZAAR_DATA"/catalog.db "$BAZAAR_DATA"/catalog.db-wal "$BAZAAR_DATA"/catalog.db-shm
    #   It starts, reads the replica logs, refuses and exits (status 3): restart may
    #   return before that, as soon as the process runs, so wait for the exit.
    "$CLUSTER" restart catalog || true
    local refusal="refusing to serve: catalog.db is missing but the replica logs hold orders" i
    for ((i = 0; i < 200; i++)); do
        grep -q "$refusal" "$BAZAAR_DATA/logs/catalog.log" && ! svc_up catalog && break
        sleep 0.1
    done
    grep -q "$refusal" "$BAZAAR_DATA/logs/catalog.log"
    if svc_up catalog; then echo "the catalog serves without its database"; return 1; fi
    [ ! -e "$BAZAAR_DATA/catalog.db" ]
    "$CLUSTER" restore-catalog
    wait_leader 3 10000
    full_check
    [ "$(stock_field SilverLine quantity)" = $((E2E_INITIAL_QUANTITY - 15)) ]
}

#   A small tmpfs holds order3's log (a symlinked data file); it fills up. The leader
#   cannot append: it steps down and leaves the bus, order2 takes over, writes go on.
#   Space freed, order3's probe write succeeds, it comes back and leads again.
@test "the leader's disk fills up, then space is freed: writes go on, nothing lost" {
    all_up
    local mnt="$BAZAAR_DATA/small" i start
    mkdir -p "$mnt"
    mount -t tmpfs -o size=4m tmpfs "$mnt" || skip "cannot mount a tmpfs here"
    "$CLUSTER" kill order3 > /dev/null
    mv "$BAZAAR_DATA/order3.db" "$mnt/order3.db"
    rm -f "$BAZAAR_DATA/order3.db-wal" "$BAZAAR_DATA/order3.db-shm"
    ln -s "$mnt/order3.db" "$BAZAAR_DATA/order3.db"
    "$CLUSTER" restart order3 > /dev/null
    wait_leader 3 10000
    post_until_200 GreenLeaf 1 sell "faults-disk-before-$$" 10000
    record_ack "faults-disk-before-$$" "$number" "GreenLeaf 1 sell"
    #   Fill the tmpfs to the last byte.
    dd if=/dev/zero of="$mnt/filler" bs=64k 2> /dev/null || true
    for i in 1 2 3; do
        post_until_200 GreenLeaf 1 sell "faults-disk-full-$$-$i" 10000
        record_ack "faults-disk-full-$$-$i" "$number" "GreenLeaf 1 sell"
    done
    grep -q "stepping aside until the log can be written" "$BAZAAR_DATA/logs/order3.log"
    svc_up order3
    rm -f "$mnt/filler"
    start=$(now_ms)
    wait_leader 3 10000
    echo "# order3 leads again $(($(now_ms) - start)) ms after space was freed" >&3
    full_check
    "$CLUSTER" kill order3 > /dev/null
    rm -f "$BAZAAR_DATA/order3.db"
    cp "$mnt/order3.db" "$BAZAAR_DATA/order3.db"
    [[ ! -e $mnt/order3.db-wal ]] || cp "$mnt/order3.db-wal" "$BAZAAR_DATA/order3.db-wal"
    umount "$mnt"
    "$CLUSTER" restart order3 > /dev/null
    wait_leader 3 10000
}
@test "the services logged no sanitizer error" {
    assert_no_sanitizer_errors
}
