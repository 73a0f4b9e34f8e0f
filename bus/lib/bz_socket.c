/*  bz_socket: what every connecting socket does the same way (bz_socket.h).  */
#include "bz_socket.h"

int
bz_socket_redial (zsock_t *socket, const char *endpoint)
{
    assert (socket && endpoint);
    //  Fails with ENOENT when libzmq already dropped the endpoint: that is fine.
    zsock_disconnect (socket, "%s", endpoint);
    if (zsock_connect (socket, "%s", endpoint) == 0)
        return 0;
    zsys_error ("cannot connect %s: %s", endpoint, zmq_strerror (zmq_errno ()));
    return -1;
}
