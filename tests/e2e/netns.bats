#!/usr/bin/env bats
# run-tests: alone
#   netns: the cluster on seven network namespaces (scripts/netns-test) through the
#   partitions that a leader must survive by stepping aside: cut off from the other
#   replicas only (it still reaches the bus), and 30% loss on its link. After each, every
#   acknowledged order reads back, numbers are dense, the books balance and the replica
#   logs are equal; writes never stop for longer than RECOVER_MS (2 s). The whole list of
#   faults runs in `make test-netns`.

load helpers

@test "a leader cut off from its replicas, or on a lossy link, hands over: writes go on" {
    run "$E2E_REPO/scripts/netns-test" --only leader-replicas,leader-loss30
    echo "$output"
    [ "$status" -eq 0 ]
    grep -E '^\[netns\] leader-(replicas|loss30) ' <<< "$output" | sed 's/^\[netns\] /# /' >&3
}
