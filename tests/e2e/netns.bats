#!/usr/bin/env bats
# run-tests: alone
#   netns: the cluster on seven network namespaces (scripts/netns-test), with CURVE on,
#   through every network fault it knows: the leader isolated, cut off from the bus or
#   from the other replicas, one-way loss each way, the frontend cut off from the bus,
#   30% loss and 100 ms delay on the leader's link, and a stranger at the leader's, the
#   catalog's and the bus's endpoints while each is down. After each, every acknowledged
#   order reads back, numbers are dense, the books balance, the replica logs are equal,
#   the cache follows the catalog, and where a majority stays up writes never stop for
#   longer than RECOVER_MS (2 s; on the 30%-lossy link, SLOW_MS: 5 s). Faults last 3 s
#   here (4 in `make test-netns`).

load helpers

@test "every network fault: writes go on or come back within 2 s, nothing lost" {
    run env FAULT_S=3 SETTLE_S=2 "$E2E_REPO/scripts/netns-test"
    echo "$output"
    [ "$status" -eq 0 ]
    grep -E '^\[netns\] [a-z0-9-]+ +leader order' <<< "$output" | sed 's/^\[netns\] /# /' >&3
}
