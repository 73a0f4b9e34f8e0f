#!/usr/bin/env bats
#   install: `make install PREFIX=… DESTDIR=…` lays out the programs, the catalog CSV, an
#   example config and the systemd units, and `systemd-analyze verify` accepts the units
#   as installed (paths substituted, hardening keys known to this systemd).

load helpers

setup_file () {
    STAGE=$(mktemp -d "${TMPDIR:-/tmp}/bazaar-install.XXXXXX")
    export STAGE
}

teardown_file () {
    rm -rf "$STAGE"
}

#   Installs into a staging root; BUILD is the build the suite runs on, as it is: with
#   the version it was built with, nothing is rebuilt (a rebuild here would drop the
#   sanitizer flags and relink the programs other test files are running).
stage_install () {
    make -C "$E2E_REPO" --no-print-directory -s install BUILD="$BAZAAR_BIN" \
        BZ_VERSION="$(cat "$BAZAAR_BIN/version.stamp")" "$@"
}

@test "make install DESTDIR=… PREFIX=/usr: programs, data, config, units" {
    run stage_install PREFIX=/usr DESTDIR="$STAGE/dest"
    echo "$output"
    [ "$status" -eq 0 ]
    local d=$STAGE/dest
    for p in bus catalog order frontend busctl busmon client keys; do
        [ -x "$d/usr/bin/bazaar-$p" ] || { echo "missing bazaar-$p"; return 1; }
    done
    #   Test-only tools are not installed.
    [ ! -e "$d/usr/bin/bazaar-wirefuzz" ]
    [ -f "$d/usr/share/bazaar/catalog.csv" ]
    #   The live page's files, and the frontend's unit points at them (the config's
    #   relative frontend/www exists only in the source tree).
    for f in index.html app.js style.css; do
        [ -f "$d/usr/share/bazaar/www/$f" ] || { echo "missing www/$f"; return 1; }
    done
    grep -qx 'Environment=BAZAAR_WWW=/usr/share/bazaar/www' "$d/usr/lib/systemd/system/bazaar-frontend.service"
    [ -f "$d/usr/share/bazaar/bazaar.cfg.example" ]
    [ -f "$d/etc/bazaar/bazaar.cfg" ]
    for u in bazaar-bus.service bazaar-catalog.service bazaar-order@.service \
             bazaar-frontend.service bazaar.target; do
        [ -f "$d/usr/lib/systemd/system/$u" ] || { echo "missing $u"; return 1; }
    done
    #   Paths are substituted: no placeholder is left, and they name the real prefix.
    ! grep -r '@[A-Z]*DIR@' "$d/usr/lib/systemd/system"
    grep -qx 'ExecStart=/usr/bin/bazaar-order --id %i --config /etc/bazaar/bazaar.cfg' \
        "$d/usr/lib/systemd/system/bazaar-order@.service"
}

@test "make install keeps an existing /etc/bazaar/bazaar.cfg" {
    mkdir -p "$STAGE/keep/etc/bazaar"
    echo '# mine' > "$STAGE/keep/etc/bazaar/bazaar.cfg"
    run stage_install PREFIX=/usr DESTDIR="$STAGE/keep"
    [ "$status" -eq 0 ]
    [ "$(cat "$STAGE/keep/etc/bazaar/bazaar.cfg")" = '# mine' ]
}

@test "systemd-analyze verify accepts every installed unit" {
    command -v systemd-analyze > /dev/null || skip "systemd-analyze is not installed"
    #   verify checks that ExecStart exists, so install for real under the staging dir.
    local root=$STAGE/real
    run stage_install PREFIX="$root/usr" SYSCONFDIR="$root/etc"
    [ "$status" -eq 0 ]
    cd "$root/usr/lib/systemd/system"
    #   verify exits 0 on warnings too: any output at all is a failure.
    run systemd-analyze verify bazaar-bus.service bazaar-catalog.service \
        bazaar-order@1.service bazaar-order@3.service bazaar-frontend.service bazaar.target
    echo "$output"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    #   Hardening: every service unit runs unprivileged in a read-only system.
    for u in *.service; do
        grep -qx 'DynamicUser=yes' "$u"
        grep -qx 'ProtectSystem=strict' "$u"
        grep -qx 'Restart=on-failure' "$u"
        grep -qx 'StateDirectory=bazaar' "$u"
    done
}

@test "systemd-analyze verify catches a broken unit (the check above can fail)" {
    command -v systemd-analyze > /dev/null || skip "systemd-analyze is not installed"
    local root=$STAGE/real
    [ -d "$root" ] || stage_install PREFIX="$root/usr" SYSCONFDIR="$root/etc"
    sed 's/^Restart=on-failure/Restart=sometimes/' \
        "$root/usr/lib/systemd/system/bazaar-bus.service" > "$STAGE/bazaar-broken.service"
    run systemd-analyze verify "$STAGE/bazaar-broken.service"
    echo "$output"
    [ -n "$output" ]
}
