/*  bz_socket: what every connecting socket does the same way.

    Why redial: libzmq gives up on a connection for good when its handshake fails with a
    protocol error (a peer without CURVE, or any stranger that is not ZMTP as we speak
    it, held the endpoint while the real service was down): no reconnect ever follows,
    and the socket stays cut off although the real service is back. Reconnecting is
    then ours to do. Each owner of a connecting socket watches its peer's silence (a
    missed heartbeat, a send that cannot go out) and, once the peer stays silent for a
    liveness period, redials: disconnect and connect the endpoint again. The socket
    object stays the same, so pollers that hold it need no change.  */
#ifndef BZ_SOCKET_H
#define BZ_SOCKET_H

#include <czmq.h>

//  Disconnects socket from endpoint (whatever state that connection is in) and
//  connects it again. Returns 0, or -1 if the connect fails (logged).
int bz_socket_redial (zsock_t *socket, const char *endpoint);

#endif
