#!/usr/bin/env bats
#   fuzz_replay: replays every fuzz seed and every saved crash (tests/fuzz/corpus,
#   tests/fuzz/regressions) through $BAZAAR_BIN/fuzz-replay-<what>, built by `make all`
#   with the suite's sanitizers. Run by scripts/run-tests; no cluster needed.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BIN=$(realpath -m -- "${BAZAAR_BIN:-$REPO/build}")

replay () {
    local what=$1 inputs=()
    shopt -s nullglob
    inputs=("$REPO/tests/fuzz/corpus/$what"/* "$REPO/tests/fuzz/regressions/$what"/*)
    shopt -u nullglob
    [ -x "$BIN/fuzz-replay-$what" ] || { echo "$BIN/fuzz-replay-$what missing: make all"; return 1; }
    [ "${#inputs[@]}" -gt 0 ]
    run timeout 120 "$BIN/fuzz-replay-$what" "${inputs[@]}"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ $output == *"replayed ${#inputs[@]} inputs, 0 unreadable"* ]]
}

@test "bz_msg_decode: corpus and regressions replay clean" { replay msg; }
@test "catalog_server_handle: corpus and regressions replay clean" { replay catalog; }
@test "frontend_json_parse_order: corpus and regressions replay clean" { replay json; }
@test "frontend_route_match: corpus and regressions replay clean" { replay route; }
