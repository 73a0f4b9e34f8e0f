#!/usr/bin/env bats
#   cli: every program and script behaves like a Unix tool (--help on stdout with exit 0,
#   --version, usage errors exit 2, options in any order as --key value or --key=value),
#   and every bad setting is refused with exit 2 and a one-line error naming its key.
#   Needs no cluster: the services refuse bad settings before they bind anything.

load helpers
bats_require_minimum_version 1.5.0

setup_file () {
    BAZAAR_BIN=$(realpath -m -- "${BAZAAR_BIN:-$E2E_REPO/build}")
    export BAZAAR_BIN
    #   Nothing here may find a cluster: a scratch data directory, ports nobody uses.
    BAZAAR_DATA=$(mktemp -d "${TMPDIR:-/tmp}/bazaar-cli.XXXXXX")
    export BAZAAR_DATA
    unset BAZAAR_PORT_BASE BAZAAR_HTTP_PORT BAZAAR_CONFIG BAZAAR_CURVE BAZAAR_CACHE
}

teardown_file () {
    rm -rf "$BAZAAR_DATA"
}

#   Every program the Makefile builds: <dir>/<name>_main.c and the test-only tests/tools/.
programs () {
    local main
    for main in "$E2E_REPO"/*/*_main.c "$E2E_REPO"/tests/tools/*_main.c; do
        main=${main##*/}
        echo "bazaar-${main%_main.c}"
    done
}

@test "every program: --help on stdout, exit 0; -h too" {
    local program count=0
    for program in $(programs); do
        [ -x "$BAZAAR_BIN/$program" ] || { echo "$program is not built"; return 1; }
        run --separate-stderr "$BAZAAR_BIN/$program" --help
        [ "$status" -eq 0 ] || { echo "$program --help: exit $status"; return 1; }
        [[ $output == *"usage: $program"* ]] || { echo "$program --help: $output"; return 1; }
        [ -z "$stderr" ] || { echo "$program --help wrote on stderr: $stderr"; return 1; }
        run --separate-stderr "$BAZAAR_BIN/$program" -h
        [ "$status" -eq 0 ] && [[ $output == *"usage: $program"* ]]
        count=$((count + 1))
    done
    echo "# --help: $count programs" >&3
    [ "$count" -ge 13 ]
}

@test "every program: --version prints its name and the build's version, exit 0" {
    local program version=
    for program in $(programs); do
        run --separate-stderr "$BAZAAR_BIN/$program" --version
        [ "$status" -eq 0 ] || { echo "$program --version: exit $status $stderr"; return 1; }
        [[ $output =~ ^$program\ [^[:space:]]+$ ]] || { echo "$program --version: '$output'"; return 1; }
        #   One version for the whole build
        [[ -z $version || ${output#* } == "$version" ]] || { echo "versions differ: $output vs $version"; return 1; }
        version=${output#* }
    done
    echo "# version: $version" >&3
}

@test "every program: an unknown option is a usage error on stderr, exit 2" {
    local program
    for program in $(programs); do
        run --separate-stderr "$BAZAAR_BIN/$program" --no-such-option
        [ "$status" -eq 2 ] || { echo "$program --no-such-option: exit $status"; return 1; }
        [ -z "$output" ] || { echo "$program: usage error on stdout: $output"; return 1; }
        [[ $stderr == *"no-such-option"* ]] || { echo "$program: '$stderr'"; return 1; }
    done
}

@test "bazaar-order: options in any order, --key=value, --digest anywhere" {
    local ok
    ok=$("$BAZAAR_BIN/bazaar-order" --id 3 --digest)
    run "$BAZAAR_BIN/bazaar-order" --digest --id=3
    [ "$status" -eq 0 ] && [ "$output" = "$ok" ]
    run "$BAZAAR_BIN/bazaar-order" --id 3 --digest --config "$E2E_REPO/data/bazaar.cfg"
    [ "$status" -eq 0 ] && [ "$output" = "$ok" ]
    run "$BAZAAR_BIN/bazaar-order" --config="$E2E_REPO/data/bazaar.cfg" --digest --id=3
    [ "$status" -eq 0 ] && [ "$output" = "$ok" ]
    for bad in "--id 0 --digest" "--id 10 --digest" "--id x --digest" "--id= --digest" \
               "--digest" "--id 1 extra --digest" "--id"; do
        # shellcheck disable=SC2086  # split on purpose
        run --separate-stderr "$BAZAAR_BIN/bazaar-order" $bad
        [ "$status" -eq 2 ] || { echo "bazaar-order $bad: exit $status"; return 1; }
    done
}

#   BAZAAR_<KEY>=VALUE <TAB> the key the error must name. Each is refused by every
#   service and tool before it does anything: exit 2, one line naming the key.
bad_settings () {
    cat <<'EOF_BAD'
BAZAAR_CURVE=maybe	curve
BAZAAR_CURVE=	curve
BAZAAR_CACHE=onn	cache
BAZAAR_HTTP_PORT=99999	http_port
BAZAAR_HTTP_PORT=80x	http_port
BAZAAR_HEARTBEAT_MS=-5	heartbeat_ms
BAZAAR_LIVENESS=0	liveness
BAZAAR_PORT_BASE=65530	port_base
BAZAAR_ORDER_REPLICAS=10	order_replicas
BAZAAR_CACHE_SIZE=0	cache_size
BAZAAR_HTTP_THREADS=1	http_threads
BAZAAR_MAX_FRAME=10	max_frame
BAZAAR_REQUEST_TIMEOUT_MS=0	request_timeout_ms
BAZAAR_RETRY_MS=1e3	retry_ms
BAZAAR_QUEUE_WAIT_MS=0x10	queue_wait_ms
BAZAAR_QUEUE_MAX=-1	queue_max
BAZAAR_WORKER_CREDIT=0	worker_credit
BAZAAR_HOST=localhost	host
BAZAAR_HTTP_HOST=::	http_host
BAZAAR_DATA=	data
BAZAAR_BUS_HOST=bus_1	bus_host
BAZAAR_CATALOG_HOST=-catalog	catalog_host
BAZAAR_ORDER_HOSTS=a,b,c,d,e,f,g,h,i,j	order_hosts
BAZAAR_ORDER_HOSTS=a,b/c	order_hosts
BAZAAR_BIND_HOST=0.0.0.0.0	bind_host
BAZAAR_BIND_HOST=any	bind_host
EOF_BAD
}

#   Every program checks its settings with the same bus/lib/bz_config.c at start: each bad
#   setting goes to bazaar-config and to one other program in turn, so that each of
#   those sees a sixth of the list (180 sanitized starts took 35 s; these take a third).
@test "bad settings: each refused by bazaar-config and by the programs in turn, exit 2, the key named in one line" {
    local setting key program count=0
    local programs=(bazaar-bus bazaar-catalog bazaar-frontend "bazaar-order --id 1" bazaar-busctl)
    while IFS=$'\t' read -r setting key; do
        for program in bazaar-config "${programs[count % ${#programs[@]}]}"; do
            local args=()
            [[ $program == bazaar-busctl ]] && args=(leader)
            # shellcheck disable=SC2086  # "bazaar-order --id 1" splits on purpose
            run --separate-stderr env "$setting" timeout -k 2 10 $BAZAAR_BIN/$program "${args[@]}"
            [ "$status" -eq 2 ] || { echo "$setting $program: exit $status ($stderr)"; return 1; }
            [ "$(grep -c . <<< "$stderr")" -eq 1 ] || { echo "$setting $program: '$stderr'"; return 1; }
            [[ $stderr == *"setting $key:"* ]] || { echo "$setting $program: '$stderr'"; return 1; }
        done
        count=$((count + 1))
    done < <(bad_settings)
    ((count >= 2 * ${#programs[@]}))
    echo "# $count bad settings, each refused by bazaar-config and one of ${#programs[@]} programs" >&3
}

@test "booleans: on/off/true/false/yes/no/1/0 in any case" {
    local value
    for value in on ON On true TRUE yes Yes 1; do
        [ "$(BAZAAR_CURVE=$value "$BAZAAR_BIN/bazaar-config" curve)" = on ]
    done
    for value in off OFF false False no NO 0; do
        [ "$(BAZAAR_CURVE=$value "$BAZAAR_BIN/bazaar-config" curve)" = off ]
    done
}

@test "a config file named but missing, unparsable, or with an unknown key: exit 2, every program" {
    local dir=$BAZAAR_DATA program
    printf 'bazaar\n    http_prot = 9090\n' > "$dir/typo.cfg"
    printf 'bazaar\n    http_port = 9090\n' > "$dir/good.cfg"
    for program in bazaar-config bazaar-bus bazaar-catalog bazaar-frontend bazaar-busmon bazaar-wirefuzz; do
        run --separate-stderr timeout -k 2 10 "$BAZAAR_BIN/$program" --config /typo
        [ "$status" -eq 2 ] && [[ $stderr == *"/typo: no such file"* ]] || { echo "$program: $status $stderr"; return 1; }
        run --separate-stderr env BAZAAR_CONFIG=/nonexistent timeout -k 2 10 "$BAZAAR_BIN/$program"
        [ "$status" -eq 2 ] && [[ $stderr == *"/nonexistent: no such file"* ]] || { echo "$program: $status $stderr"; return 1; }
        run --separate-stderr timeout -k 2 10 "$BAZAAR_BIN/$program" --config "$dir/typo.cfg"
        [ "$status" -eq 2 ] && [[ $stderr == *"unknown setting 'http_prot'"* ]] || { echo "$program: $status $stderr"; return 1; }
    done
    [ "$("$BAZAAR_BIN/bazaar-config" --config "$dir/good.cfg" http_port)" = 9090 ]
    [ "$(BAZAAR_HTTP_PORT=9191 "$BAZAAR_BIN/bazaar-config" --config "$dir/good.cfg" http_port)" = 9191 ]
}

@test "an unknown BAZAAR_* variable: a warning naming it, not an error" {
    run --separate-stderr env BAZAAR_HTTP_PROT=1 "$BAZAAR_BIN/bazaar-config" --check
    [ "$status" -eq 0 ]
    [[ $stderr == *"warning: BAZAAR_HTTP_PROT is not a Bazaar setting"* ]]
}

@test "the README's configuration reference is bazaar-config --reference" {
    run "$E2E_REPO/scripts/config-doc" --check
    echo "$output"
    [ "$status" -eq 0 ]
    #   and every setting of data/bazaar.cfg is in it, and the file passes the checks
    "$BAZAAR_BIN/bazaar-config" --config "$E2E_REPO/data/bazaar.cfg" --check
    local key
    for key in $(awk '$2 == "=" { print $1 }' "$E2E_REPO/data/bazaar.cfg"); do
        grep -q "^| \`$key\` |" "$E2E_REPO/README.md" || { echo "$key missing from the README"; return 1; }
    done
}

@test "every script: --help prints help on stdout, exit 0, and does nothing else" {
    local script
    BAZAAR_DATA=$(mktemp -d "${TMPDIR:-/tmp}/bazaar-cli.XXXXXX")
    for script in cluster chaos keys bench bench-report run-tests config-doc; do
        run --separate-stderr timeout 10 "$E2E_REPO/scripts/$script" --help
        [ "$status" -eq 0 ] || { echo "$script --help: exit $status $stderr"; return 1; }
        [[ $output == *"$script"* ]] || { echo "$script --help: '$output'"; return 1; }
        [[ ! $output =~ [0-9]+\ passed ]] || { echo "$script --help ran something: $output"; return 1; }
        [ -z "$stderr" ] || { echo "$script --help wrote on stderr: $stderr"; return 1; }
    done
    for script in cluster chaos run-tests bench config-doc; do
        run --separate-stderr timeout 10 "$E2E_REPO/scripts/$script" --no-such-option
        [ "$status" -eq 2 ] || { echo "$script --no-such-option: exit $status"; return 1; }
    done
    #   nothing was created by any of them
    [ -z "$(ls -A "$BAZAAR_DATA")" ]
    rmdir "$BAZAAR_DATA"
}

@test "scripts/cluster refuses a bad setting before doing anything: exit 2" {
    run --separate-stderr env BAZAAR_CURVE=ON2 "$CLUSTER" status
    [ "$status" -eq 2 ]
    [[ $stderr == *"setting curve:"* ]]
    run --separate-stderr env BAZAAR_HTTP_PORT=99999 "$CLUSTER" start
    [ "$status" -eq 2 ]
    [[ $stderr == *"setting http_port:"* ]]
    [ ! -e "$BAZAAR_DATA/run" ]
}

@test "bazaar-client: BAZAAR_HTTP_PORT and HOST:PORT" {
    #   Nothing listens there: the client says which URL it tried (exit 3, setup failed)
    run --separate-stderr env BAZAAR_HTTP_PORT=1 timeout -k 2 20 "$BAZAAR_BIN/bazaar-client" --iterations 1
    [ "$status" -eq 3 ]
    run --separate-stderr env BAZAAR_HTTP_PORT=99999 "$BAZAAR_BIN/bazaar-client"
    [ "$status" -eq 2 ] && [[ $stderr == *BAZAAR_HTTP_PORT* ]]
    run --separate-stderr "$BAZAAR_BIN/bazaar-client" --url=127.0.0.1:1 --url localhost:1 --iterations=1
    [ "$status" -eq 3 ]
}
