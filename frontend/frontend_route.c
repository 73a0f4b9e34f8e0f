/*  frontend_route: maps an HTTP method and raw path to a REST route and its argument.
    Pure and allocation-free; frontend_server calls it first on every request.          */
#include <string.h>
#include <strings.h>
#include "frontend_route.h"

//  The path shapes we serve: first segment, whether a second (argument) segment
//  follows, the route and the one method it accepts.
static const struct {
    const char *segment;
    bool argument;
    frontend_route_id_t id;
    const char *method;
} s_routes [] = {
    { "stocks",  false, FRONTEND_ROUTE_STOCKS,  "GET"  },
    { "stocks",  true,  FRONTEND_ROUTE_STOCK,   "GET"  },
    { "orders",  false, FRONTEND_ROUTE_ORDERS,  "POST" },
    { "orders",  true,  FRONTEND_ROUTE_ORDER,   "GET"  },
    { "health",  false, FRONTEND_ROUTE_HEALTH,  "GET"  },
    { "metrics", false, FRONTEND_ROUTE_METRICS, "GET"  },
    { "cache",   false, FRONTEND_ROUTE_CACHE,   "GET"  },
};

static const char *s_labels [FRONTEND_ROUTE_COUNT] = {
    "other", "page", "stocks", "stock", "orders", "order", "health", "metrics", "cache", "live",
    "static"
};

//  Whether method may use a route that accepts allowed; sets route->head for HEAD.
static bool
s_method_ok (frontend_route_t *route, const char *method, const char *allowed)
{
    bool get = strcmp (allowed, "GET") == 0;
    route->allow = get? "GET, HEAD": allowed;
    route->head = get && strcmp (method, "HEAD") == 0;
    return strcmp (method, allowed) == 0 || route->head;
}

static int
s_fail (frontend_route_t *route, int status, const char *error)
{
    route->status = status;
    route->error = error;
    return status;
}

const char *
frontend_route_label (frontend_route_id_t id)
{
    return ((unsigned) id < FRONTEND_ROUTE_COUNT)? s_labels [id]: "other";
}

//  Checks every byte and segment of the path before '?' and sets its length. Returns 0,
//  or the HTTP status for a path we refuse whatever it names (traversal included).
static int
s_check_path (frontend_route_t *route, const char *path, size_t *length_p)
{
    size_t length = 0;
    while (path [length] && path [length] != '?') {
        if (length >= FRONTEND_PATH_MAX)
            return s_fail (route, 414, "path is too long");
        char c = path [length];
        if (c <= ' ' || c > '~')
            return s_fail (route, 400, "path contains a control, space or non-ASCII byte");
        if (c == '%')
            return s_fail (route, 400, "percent-encoded paths are not accepted");
        length++;
    }
    if (length == 0 || path [0] != '/')
        return s_fail (route, 400, "path must start with '/'");
    for (size_t at = 0; at < length; at++) {
        //  at is a '/': look at the segment after it
        if (path [at] != '/')
            continue;
        size_t end = at + 1;
        while (end < length && path [end] != '/')
            end++;
        size_t seg_len = end - at - 1;
        if (seg_len > 0 && seg_len <= 2 && path [at + 1] == '.' && (seg_len == 1 || path [at + 2] == '.'))
            return s_fail (route, 400, "'.' and '..' path segments are not accepted");
    }
    *length_p = length;
    return 0;
}

//  Splits "/first[/second]" into at most two segments; a third one or an empty one
//  makes the path unknown (404).
static int
s_split (frontend_route_t *route, const char *path, size_t length,
         const char **first, size_t *first_len, const char **second, size_t *second_len)
{
    *first = path + 1;
    const char *slash = memchr (*first, '/', length - 1);
    *first_len = slash? (size_t) (slash - *first): length - 1;
    *second = NULL;
    *second_len = 0;
    if (slash) {
        *second = slash + 1;
        *second_len = length - (size_t) (*second - path);
        if (memchr (*second, '/', *second_len))
            return s_fail (route, 404, "no such path");
    }
    if (*first_len == 0 || (*second && *second_len == 0))
        return s_fail (route, 404, "no such path");
    return 0;
}

static int
s_parse_argument (frontend_route_t *route, const char *arg, size_t length)
{
    if (route->id == FRONTEND_ROUTE_STOCK) {
        if (length > BZ_NAME_MAX)
            return s_fail (route, 400, "stock name is longer than 64 characters");
        if (!bz_stock_name_valid (arg, length))
            return s_fail (route, 400, "stock name must be 1.." BZ_STR (BZ_NAME_MAX) " characters of A-Z a-z 0-9 . _ -");
        memcpy (route->name, arg, length);
        route->name [length] = 0;
    }
    else {
        if (length > FRONTEND_NUMBER_DIGITS)
            return s_fail (route, 400, "order number has more than 18 digits");
        int64_t number = 0;
        for (size_t i = 0; i < length; i++) {
            if (arg [i] < '0' || arg [i] > '9')
                return s_fail (route, 400, "order number must be decimal digits only");
            number = number * 10 + (arg [i] - '0');
        }
        route->number = number;
    }
    return 0;
}

int
frontend_route_match (frontend_route_t *route, const char *method, const char *path)
{
    if (!route)
        return 400;
    route->id = FRONTEND_ROUTE_OTHER;
    route->status = 0;
    route->error = NULL;
    route->allow = NULL;
    route->head = false;
    route->name [0] = 0;
    route->number = -1;
    if (!method || !path)
        return s_fail (route, 400, "request has no method or path");

    size_t length;
    if (s_check_path (route, path, &length))
        return route->status;
    //  One trailing slash names the same resource: "/stocks/" is "/stocks"
    if (length > 2 && path [length - 1] == '/' && path [length - 2] != '/')
        length--;
    if (length == 1) {
        route->id = FRONTEND_ROUTE_PAGE;
        return s_method_ok (route, method, "GET")? 0: s_fail (route, 405, "method not allowed");
    }
    if (length == 12 && memcmp (path, "/health/live", 12) == 0) {
        route->id = FRONTEND_ROUTE_LIVE;
        return s_method_ok (route, method, "GET")? 0: s_fail (route, 405, "method not allowed");
    }
    const char *first, *second;
    size_t first_len, second_len;
    if (s_split (route, path, length, &first, &first_len, &second, &second_len))
        return route->status;

    for (size_t i = 0; i < sizeof s_routes / sizeof s_routes [0]; i++) {
        if (strlen (s_routes [i].segment) != first_len
        ||  memcmp (s_routes [i].segment, first, first_len) != 0
        ||  s_routes [i].argument != (second != NULL))
            continue;
        route->id = s_routes [i].id;
        if (!s_method_ok (route, method, s_routes [i].method))
            return s_fail (route, 405, "method not allowed");
        return second? s_parse_argument (route, second, second_len): 0;
    }
    //  "/name.ext": a file of the live page, if frontend_static has it (else 404 there)
    if (!second && memchr (first, '.', first_len) && bz_stock_name_valid (first, first_len)) {
        route->id = FRONTEND_ROUTE_STATIC;
        route->allow = "GET";
        memcpy (route->name, first, first_len);
        route->name [first_len] = 0;
        return strcmp (method, "GET")? s_fail (route, 405, "method not allowed"): 0;
    }
    return s_fail (route, 404, "no such path");
}

bool
frontend_route_is_json (const char *content_type)
{
    if (!content_type)
        return false;
    while (*content_type == ' ' || *content_type == '\t')
        content_type++;
    size_t length = strlen ("application/json");
    if (strncasecmp (content_type, "application/json", length) != 0)
        return false;
    const char *rest = content_type + length;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == 0 || *rest == ';';
}
