#   browser: drives Debian's headless Chromium over the DevTools protocol, from bash.
#   Loaded by tests/e2e/browser.bats (`load browser`) after helpers.
#
#   Chromium's --remote-debugging-pipe speaks the protocol on file descriptors 3 (in)
#   and 4 (out), one JSON message per NUL-terminated chunk: no WebSocket client, no
#   Node. Commands go out with an id; replies come back with it, between events we skip.
#
#       browser_start || skip "$BROWSER_SKIP"
#       page_open "http://127.0.0.1:$BAZAAR_HTTP_PORT/"
#       page_eval 'document.title'            # prints the value as JSON
#       page_screenshot out.png
#       browser_stop

BROWSER_TIMEOUT=${BROWSER_TIMEOUT:-20}

#   The chromium binary, or nothing.
browser_binary () {
    local name
    for name in chromium chromium-browser google-chrome; do
        command -v "$name" && return 0
    done
    return 1
}

#   Starts Chromium and attaches to its page. Sets BROWSER_SKIP (why not) and returns 1
#   when there is no Chromium; fails on anything else.
browser_start () {
    local binary target reply
    binary=$(browser_binary) || {
        BROWSER_SKIP="chromium is not installed (Debian: apt-get install chromium); browser tests skipped"
        return 1
    }
    BROWSER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/bazaar-browser.XXXXXX")
    mkfifo "$BROWSER_DIR/in" "$BROWSER_DIR/out"
    #   --headless=new is the real browser without a window; the sandbox needs a user
    #   namespace that root in a container does not get.
    "$binary" --headless=new --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-extensions --disable-sync \
        --user-data-dir="$BROWSER_DIR/profile" --window-size=1000,1100 \
        --remote-debugging-pipe about:blank \
        3< "$BROWSER_DIR/in" 4> "$BROWSER_DIR/out" 2> "$BROWSER_DIR/chromium.log" &
    BROWSER_PID=$!
    exec {BROWSER_W}> "$BROWSER_DIR/in"
    exec {BROWSER_R}< "$BROWSER_DIR/out"
    BROWSER_SESSION=
    cdp_call Target.getTargets '{}' || return 1
    target=$(jq -r '[.result.targetInfos[] | select(.type == "page")][0].targetId' <<< "$CDP_REPLY")
    cdp_call Target.attachToTarget "{\"targetId\":\"$target\",\"flatten\":true}" || return 1
    BROWSER_SESSION=$(jq -r .result.sessionId <<< "$CDP_REPLY")
    cdp_call Page.enable '{}'
}

browser_stop () {
    [[ -n ${BROWSER_PID:-} ]] || return 0
    exec {BROWSER_W}>&- {BROWSER_R}<&-
    kill "$BROWSER_PID" 2> /dev/null
    wait "$BROWSER_PID" 2> /dev/null
    BROWSER_PID=
    rm -rf "$BROWSER_DIR"
}

#   json_string TEXT: sets $JSON_STRING to TEXT as a JSON string (quotes included).
json_string () {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\t'/\\t}
    s=${s//$'\r'/\\r}
    JSON_STRING="\"$s\""
}

#   cdp_send METHOD PARAMS: sends a command (to the page once attached), its id in
#   $BROWSER_ID. Ids are random: callers may run in $(...) subshells, where a counter
#   would not count. No subshell or jq on this path: the machine is shared and slow.
cdp_send () {
    local session=
    BROWSER_ID=$((SRANDOM % 1000000000 + 1))
    [[ -n $BROWSER_SESSION ]] && session=",\"sessionId\":\"$BROWSER_SESSION\""
    printf '{"id":%d,"method":"%s","params":%s%s}\0' "$BROWSER_ID" "$1" "$2" "$session" >&"$BROWSER_W"
}

#   cdp_wait ID: the reply to command ID in $CDP_REPLY (the whole message), skipping
#   events and other replies. Fails with the error, or after BROWSER_TIMEOUT seconds.
cdp_wait () {
    local id=$1 message deadline=$((SECONDS + BROWSER_TIMEOUT))
    CDP_REPLY=
    while ((SECONDS < deadline)); do
        IFS= read -r -d '' -t "$BROWSER_TIMEOUT" -u "$BROWSER_R" message || break
        [[ $message == "{\"id\":$id,"* ]] || continue
        CDP_REPLY=$message
        if [[ $message == "{\"id\":$id,\"error\""* ]]; then
            echo "DevTools error: $message" >&2
            return 1
        fi
        return 0
    done
    echo "no DevTools reply to command $id within ${BROWSER_TIMEOUT}s" >&2
    return 1
}

#   cdp_call METHOD PARAMS: sends and waits; the reply in $CDP_REPLY.
cdp_call () {
    cdp_send "$1" "$2"
    cdp_wait "$BROWSER_ID"
}

#   cdp_result: prints the .result of $CDP_REPLY, compact.
cdp_result () {
    jq -c .result <<< "$CDP_REPLY"
}

#   page_run EXPRESSION: evaluates it in the page (awaiting a promise); the reply in
#   $CDP_REPLY. Fails when it throws.
page_run () {
    json_string "$1"
    cdp_call Runtime.evaluate "{\"expression\":$JSON_STRING,\"returnByValue\":true,\"awaitPromise\":true}" \
        || return 1
    if [[ $CDP_REPLY == *'"exceptionDetails":'* ]]; then
        echo "page threw: $CDP_REPLY" >&2
        return 1
    fi
}

#   page_eval EXPRESSION: prints its value as compact JSON.
page_eval () {
    page_run "$1" && jq -c .result.result.value <<< "$CDP_REPLY"
}

#   page_wait EXPRESSION LIMIT_MS: polls until EXPRESSION is true in the page. Fails,
#   saying so, after LIMIT_MS.
page_wait () {
    local expression="Boolean($1)" limit=$2 start
    start=$(now_ms)
    while :; do
        page_run "$expression" || return 1
        [[ $CDP_REPLY == *'"result":{"type":"boolean","value":true}'* ]] && return 0
        if (($(now_ms) - start > limit)); then
            echo "not true within $limit ms: $1" >&2
            return 1
        fi
        sleep 0.02
    done
}

#   page_open URL: loads URL and waits until its WebSocket is live and a table is shown.
page_open () {
    json_string "$1"
    cdp_call Page.navigate "{\"url\":$JSON_STRING}" || return 1
    page_wait "document.readyState === 'complete' && document.body.dataset.connection === 'live'
               && document.querySelectorAll('#stocks tr').length > 0" 10000
}

#   page_click SELECTOR [COUNT]: a real mouse click at the element's centre; COUNT 2 is a
#   double-click as a person makes one: two presses, the second with clickCount 2.
page_click () {
    local xy x y count=${2:-1} click type
    xy=$(page_eval "(() => { const r = document.querySelector('$1').getBoundingClientRect();
                             return Math.round(r.x + r.width / 2) + ' ' + Math.round(r.y + r.height / 2); })()") \
        || return 1
    read -r x y <<< "${xy//\"/}"
    for ((click = 1; click <= count; click++)); do
        for type in mousePressed mouseReleased; do
            cdp_call Input.dispatchMouseEvent \
                "{\"type\":\"$type\",\"x\":$x,\"y\":$y,\"button\":\"left\",\"clickCount\":$click}" \
                || return 1
        done
    done
}

#   page_screenshot FILE: the page as PNG.
page_screenshot () {
    cdp_call Page.captureScreenshot '{"format":"png","captureBeyondViewport":true}' || return 1
    jq -r .result.data <<< "$CDP_REPLY" | base64 -d > "$1"
}
