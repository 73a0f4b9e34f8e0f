#!/usr/bin/env bats
#   The live page in real headless Chromium (tests/e2e/browser.bash drives it over the
#   DevTools protocol): every stock rendered, a curl trade pushed to the open page within
#   1 s, one order per double-click, the outage states, and the page's small promises
#   (labels, favicon). Skipped, saying why, only where Chromium is not installed.
#   E2E_SCREENSHOT=docs/live-page.png also saves the page as the docs show it.

load helpers
load browser

setup_file () {
    cluster_setup || return 1
    BROWSER_SKIP=
    browser_start || [[ -n $BROWSER_SKIP ]] || return 1
    #   The tests run in child processes: they inherit the pipe's descriptors
    export BROWSER_SKIP BROWSER_PID BROWSER_DIR BROWSER_SESSION BROWSER_W BROWSER_R
}

teardown_file () {
    browser_stop
    cluster_teardown
}

setup () {
    if [[ -n $BROWSER_SKIP ]]; then skip "$BROWSER_SKIP"; fi
}

teardown () {
    cluster_test_teardown
}

PAGE_ROW='#stocks tr[data-name="%s"] .%s'

#   page_cell NAME FIELD: a cell of the page's table, as text.
page_cell () {
    # shellcheck disable=SC2059
    page_eval "document.querySelector('$(printf "$PAGE_ROW" "$1" "$2")').textContent" | jq -r .
}

@test "the page renders every stock, with its price, quantity and volume" {
    page_open "http://127.0.0.1:$BAZAAR_HTTP_PORT/"
    http_get /stocks
    [ "$status" = 200 ]
    local want shown
    want=$(jq -c '[.data[] | [.name, (.price * 100 | round / 100), .quantity, .volume]] | sort' <<< "$body")
    shown=$(page_eval "JSON.stringify([...document.querySelectorAll('#stocks tr')].map(r =>
              [r.dataset.name, Number(r.querySelector('.price').textContent),
               Number(r.querySelector('.quantity').textContent),
               Number(r.querySelector('.volume').textContent)]).sort())" | jq -c 'fromjson')
    echo "API:  $want"
    echo "page: $shown"
    [ "$want" = "$shown" ]
    [ "$(jq length <<< "$want")" -ge 10 ]
    #   The picker offers exactly the stocks
    [ "$(page_eval "JSON.stringify([...document.querySelectorAll('#stock option')].map(o => o.value))" \
          | jq -c 'fromjson | sort')" = "$(jq -c '[.[][0]] | sort' <<< "$want")" ]
    #   The cluster panel: three replicas up, a leader and its epoch
    page_wait "document.querySelectorAll('#replicas .replica.up').length === 3
               && /^replica [0-9]+$/.test(document.getElementById('leader').textContent)
               && /^epoch [0-9]+/.test(document.getElementById('epoch').textContent)" 5000
}

@test "a trade made with curl appears on the open page within 1 s, without a reload" {
    local before sent took acked pushed cell out
    before=$(page_cell GameStart quantity)
    cell=$(printf "$PAGE_ROW" GameStart quantity)
    #   The page's own clock says when the cell changed: the time the test's bash and
    #   jq take between two looks at the page is no part of the push
    page_run "window.notReloaded = true;
              window.pushedAt = new Promise(resolve => {
                  const look = () => document.querySelector('$cell').textContent === '$((before - 3))'
                                     ? resolve(Date.now()) : setTimeout(look, 2);
                  look(); }); true"
    #   curl's own clock says when the 200 came: sent + its total time
    sent=$(now_ms)
    out=$(curl -s -w '\n%{http_code} %{time_total}' -X POST -H 'Idempotency-Key: browser-push-1' -H 'Content-Type: application/json' \
               -d '{"name":"GameStart","quantity":3,"type":"buy"}' \
               "http://127.0.0.1:$BAZAAR_HTTP_PORT/orders")
    read -r status took <<< "$(tail -n 1 <<< "$out")"
    [ "$status" = 200 ]
    acked=$((sent + $(awk -v t="$took" 'BEGIN { printf "%d", t * 1000 }')))
    pushed=$(page_eval "window.pushedAt")
    echo "# on the page $((pushed - acked)) ms after curl's 200 (the trade took $((acked - sent)) ms)" >&3
    ((pushed - acked <= 1000))
    [ "$(page_eval 'window.notReloaded === true')" = true ]
    [ "$(page_cell GameStart volume)" = "$(stock_field GameStart volume)" ]
}

@test "a double-click on Place order makes exactly one order" {
    local next volume
    next=$(next_number)
    volume=$(stock_field FishCo volume)
    page_eval "document.getElementById('stock').value = 'FishCo';
               document.getElementById('type').value = 'buy';
               document.getElementById('quantity').value = '2'; true" > /dev/null
    page_click '#place' 2
    page_wait "/^Order [0-9]+: buy 2 FishCo$/.test(document.getElementById('result').textContent)" 10000
    [ "$(page_eval "document.getElementById('result').textContent")" = "\"Order $next: buy 2 FishCo\"" ]
    page_wait "!document.getElementById('place').disabled" 5000
    sleep 1
    [ "$(next_number)" = $((next + 1)) ]
    [ "$(stock_field FishCo volume)" = $((volume + 2)) ]
    #   The page shows the trade too (pushed), and looks it up
    page_wait "document.querySelector('$(printf "$PAGE_ROW" FishCo volume)').textContent === '$((volume + 2))'" 2000
    page_eval "document.getElementById('number').value = '$next'; true" > /dev/null
    page_click '#find'
    page_wait "document.getElementById('found').textContent === 'Order $next: buy 2 FishCo'" 5000
}

@test "every form control has a label; /favicon.ico is an icon" {
    [ "$(page_eval "[...document.querySelectorAll('input, select')].every(e => e.labels.length === 1)")" = true ]
    run curl -s -o /dev/null -w '%{http_code} %{content_type}' "http://127.0.0.1:$BAZAAR_HTTP_PORT/favicon.ico"
    [ "$output" = "200 image/x-icon" ]
}

@test "catalog down: the page says so and still shows the order leader" {
    "$CLUSTER" kill catalog
    page_wait "document.body.dataset.catalog === 'down'
               && /Catalog down/.test(document.getElementById('banner').textContent)
               && !document.getElementById('banner').hidden" 5000
    #   The leader is alive: the page must not say "none"
    page_wait "/^replica [0-9]+$/.test(document.getElementById('leader').textContent)" 1000
    if [[ -n ${E2E_SCREENSHOT_OUTAGE:-} ]]; then page_screenshot "$E2E_SCREENSHOT_OUTAGE"; fi
    "$CLUSTER" restart catalog
    page_wait "document.body.dataset.catalog === 'up' && document.getElementById('banner').hidden" 15000
    #   And the table is current again: a trade after the restart shows up
    local before
    before=$(page_cell BoarCo quantity)
    post_order BoarCo 1 buy "browser-after-catalog"
    [ "$status" = 200 ]
    page_wait "document.querySelector('$(printf "$PAGE_ROW" BoarCo quantity)').textContent === '$((before - 1))'" 2000
}

@test "frontend down: the page says it is unreachable, then reconnects with a fresh table" {
    "$CLUSTER" kill frontend
    page_wait "document.body.dataset.connection === 'unreachable'
               && /Frontend unreachable/.test(document.getElementById('banner').textContent)
               && document.getElementById('place').disabled" 5000
    #   A trade while it is away (through a second frontend would be the same): the
    #   reconnect's snapshot must bring it
    "$CLUSTER" restart frontend
    post_order MenhirCo 4 sell "browser-while-away"
    [ "$status" = 200 ]
    page_wait "document.body.dataset.connection === 'live' && document.getElementById('banner').hidden
               && document.querySelector('$(printf "$PAGE_ROW" MenhirCo volume)').textContent
                  === '$(stock_field MenhirCo volume)'" 15000
}

@test "a screenshot of the page" {
    local file=${E2E_SCREENSHOT:-$BAZAAR_DATA/live-page.png}
    page_open "http://127.0.0.1:$BAZAAR_HTTP_PORT/"
    page_screenshot "$file"
    [ "$(head -c 8 "$file" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
    [ "$(stat -c %s "$file")" -gt 10000 ]
}

@test "the services logged no sanitizer error" {
    assert_no_sanitizer_errors
}
