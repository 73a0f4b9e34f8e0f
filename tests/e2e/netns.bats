#!/usr/bin/env bats
#   netns: the cluster on seven network namespaces through seven network faults
#   (scripts/netns-test). Skipped, with its reason, only where namespaces cannot be made.

@test "scripts/netns-test: every fault keeps or restores writes, nothing lost" {
    run "$BATS_TEST_DIRNAME/../../scripts/netns-test"
    echo "$output"
    if [ "$status" -eq 77 ]; then
        skip "$(grep -m1 'skipped:' <<< "$output")"
    fi
    grep '^\[netns\] [a-z]' <<< "$output" | grep -v '^\[netns\] ---' | sed 's/^/# /' >&3
    [ "$status" -eq 0 ]
}
