/*  bz_bus: the frames of the Bazaar bus protocol (Majordomo-style), and the one codec
    of its envelopes, shared by the broker, bz_client, bz_worker and the frontend's
    bus client. schemas/PROTOCOL.md describes them.                                  */
#ifndef BZ_BUS_H
#define BZ_BUS_H

#include <czmq.h>

#define BZ_CLIENT_PROTO     "BZC1"
#define BZ_WORKER_PROTO     "BZW1"

//  Worker commands: one-byte frames after the protocol frame.
#define BZ_READY            "\001"
#define BZ_REQUEST          "\002"
#define BZ_REPLY            "\003"
#define BZ_HEARTBEAT        "\004"
#define BZ_DISCONNECT       "\005"
//  Worker to broker: the worker's bz_metrics registry (bz_metrics_encode), once a second.
#define BZ_METRICS          "\006"

//  Built-in broker service: replies with one WORKER frame per live worker.
#define BZ_SERVICE_WORKERS  "bus.workers"
//  Built-in broker service: the latest metrics of the bus and of every worker, each as
//  WORKER{service, rank, count=frames} then that many bz_metrics frames.
#define BZ_SERVICE_METRICS  "bus.metrics"

//  A worker of a ranked service that led and left (died, expired, withdrew) may register
//  again only this many liveness periods (heartbeat_ms x liveness) after it left: the
//  broker ignores its READY until then, and a replica that withdrew does not lead before.
#define BZ_LEADER_HOLD      4

//  Longest service name and request id accepted on the wire.
#define BZ_SERVICE_MAX      32
#define BZ_REQID_MAX        16

//  The envelope before the body frames of every message between the broker and a
//  client or a worker (the ROUTER's peer address comes before it on the broker's side):
//    client:  ""  BZC1  service  reqid    (a request, and its reply)
//    worker:  ""  BZW1  command           (a one-byte command: BZ_READY, ...)
typedef struct {
    bool client;                        //  BZC1; else BZW1
    char service [BZ_SERVICE_MAX + 1];  //  client: the service, 1..BZ_SERVICE_MAX chars
    byte reqid [BZ_REQID_MAX];          //  client: the request id,
    size_t reqid_size;                  //  1..BZ_REQID_MAX bytes
    char command [2];                   //  worker: the command, as a string (BZ_READY...)
} bz_envelope_t;

//  Puts the client envelope before the body frames of msg. Returns -1, msg unchanged,
//  when service is empty or longer than BZ_SERVICE_MAX, or reqid not 1..BZ_REQID_MAX
//  bytes.
int bz_bus_wrap_client (zmsg_t *msg, const char *service, const void *reqid, size_t size);

//  Puts the worker envelope with command (one of the BZ_ commands) before msg's frames.
void bz_bus_wrap_worker (zmsg_t *msg, const char *command);

//  Takes the envelope off the front of msg into *envelope, leaving the body frames.
//  Returns 0, or -1 when the front of msg is not a well-formed envelope (what was read
//  of it is consumed).
int bz_bus_unwrap (zmsg_t *msg, bz_envelope_t *envelope);

#endif
