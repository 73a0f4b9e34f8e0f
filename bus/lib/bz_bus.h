/*  bz_bus: the frames of the Bazaar bus protocol (Majordomo-style), shared by the
    broker, bz_client and bz_worker. schemas/PROTOCOL.md describes them.            */
#ifndef BZ_BUS_H
#define BZ_BUS_H

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

#endif
