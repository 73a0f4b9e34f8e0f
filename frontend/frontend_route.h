/*  frontend_route: maps an HTTP method and raw path to a REST route and its argument.
    Pure and allocation-free; frontend_server calls it first on every request.          */
#ifndef FRONTEND_ROUTE_H
#define FRONTEND_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bz_limits.h"
#include "bz_order.h"

//  Longest path we look at; FRONTEND_HEAD_MAX bounds it again.
#define FRONTEND_PATH_MAX       1024
#define FRONTEND_NUMBER_DIGITS  18

typedef enum {
    FRONTEND_ROUTE_OTHER = 0,   //  no such path (also the metrics label for it)
    FRONTEND_ROUTE_PAGE,        //  GET /
    FRONTEND_ROUTE_STOCKS,      //  GET /stocks
    FRONTEND_ROUTE_STOCK,       //  GET /stocks/<name>
    FRONTEND_ROUTE_ORDERS,      //  POST /orders
    FRONTEND_ROUTE_ORDER,       //  GET /orders/<number>
    FRONTEND_ROUTE_HEALTH,      //  GET /health
    FRONTEND_ROUTE_METRICS,     //  GET /metrics
    FRONTEND_ROUTE_CACHE,       //  GET /cache
    FRONTEND_ROUTE_LIVE,        //  GET /health/live
    FRONTEND_ROUTE_STATIC,      //  GET /<file.ext>: a file of the live page (name holds it)
    FRONTEND_ROUTE_COUNT
} frontend_route_id_t;

typedef struct {
    frontend_route_id_t id;     //  the route, also set when status is 400 or 405
    int status;                 //  0 when matched, else the HTTP error to answer
    const char *error;          //  why, when status is set (a static string)
    const char *allow;          //  the methods the path accepts (for 405's Allow header)
    bool head;                  //  a HEAD request: answered as GET, without the body
    char name [BZ_NAME_MAX + 1];  //  ROUTE_STOCK's stock name, ROUTE_STATIC's file
    int64_t number;             //  ROUTE_ORDER's order number
} frontend_route_t;

//  Matches method and path (the raw, not URL-decoded path; anything from '?' on is
//  ignored). HEAD is accepted wherever GET is (route->head is set) except on a static
//  file (/<file.ext>: GET only, 405 otherwise); one trailing '/' is accepted on every path. Returns 0 and fills route, or the HTTP status to answer
//  (400 malformed path or argument, 404 unknown path, 405 wrong method, 414 path too
//  long) with route->error saying why. Never fails on any input, NULLs included.
int frontend_route_match (frontend_route_t *route, const char *method, const char *path);


//  The metrics label of a route ("stock", "orders"...).
const char *frontend_route_label (frontend_route_id_t id);

//  True when a Content-Type header value names JSON: application/json, in any case,
//  with or without parameters ("; charset=utf-8"). POST /orders requires it (415), so
//  a web page cannot trade through a plain HTML form.
bool frontend_route_is_json (const char *content_type);

#endif
