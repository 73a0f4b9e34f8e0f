/*  nfqdelay: holds every packet of one netfilter queue for a fixed time, then lets it
    through: added delay for scripts/netns-test, where the kernel has no netem.

    Usage: nfqdelay QUEUE DELAY_MS
    Send packets to it with iptables -j NFQUEUE --queue-num QUEUE --queue-bypass (with
    --queue-bypass they pass undelayed while no nfqdelay listens). The delay is the same
    for every packet, so packets leave in the order they came: a ring of packet ids in
    arrival order is all the state. A full ring lets a packet through at once rather than
    grow. Runs until SIGINT or SIGTERM; exit 0, 2 on usage, 1 if the queue cannot be bound.  */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING_SIZE 65536             //  packets held at once, at most

typedef struct {
    uint32_t id;
    int64_t due_ms;
} held_t;

typedef struct {
    struct nfq_q_handle *queue;
    int64_t delay_ms;
    held_t ring [RING_SIZE];
    size_t head, count;
    uint64_t delayed, passed;       //  held for the delay / let through at once (ring full)
} delay_t;

static volatile sig_atomic_t s_stop;

static void
s_on_signal (int signal)
{
    (void) signal;
    s_stop = 1;
}

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
s_on_packet (struct nfq_q_handle *queue, struct nfgenmsg *message, struct nfq_data *data, void *arg)
{
    (void) message;
    delay_t *self = (delay_t *) arg;
    struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr (data);
    if (!header)
        return 0;
    uint32_t id = ntohl (header->packet_id);
    if (self->count == RING_SIZE) {
        self->passed++;
        return nfq_set_verdict (queue, id, NF_ACCEPT, 0, NULL);
    }
    self->ring [(self->head + self->count) % RING_SIZE] = (held_t) { id, s_now_ms () + self->delay_ms };
    self->count++;
    self->delayed++;
    return 0;
}

//  Lets through every packet whose time has come; returns ms until the next one (-1: none).
static int
s_release (delay_t *self)
{
    int64_t now = s_now_ms ();
    while (self->count && self->ring [self->head].due_ms <= now) {
        nfq_set_verdict (self->queue, self->ring [self->head].id, NF_ACCEPT, 0, NULL);
        self->head = (self->head + 1) % RING_SIZE;
        self->count--;
    }
    return self->count? (int) (self->ring [self->head].due_ms - now): -1;
}

static int
s_number (const char *text, long max, long *value)
{
    char *end;
    errno = 0;
    *value = strtol (text, &end, 10);
    return errno || end == text || *end || *value < 0 || *value > max? -1: 0;
}

int
main (int argc, char *argv [])
{
    long queue_num, delay_ms;
    if (argc != 3 || s_number (argv [1], 65535, &queue_num) || s_number (argv [2], 60000, &delay_ms)) {
        fprintf (stderr, "usage: nfqdelay QUEUE DELAY_MS   (QUEUE 0..65535, DELAY_MS 0..60000)\n");
        return 2;
    }
    static delay_t self;
    self.delay_ms = delay_ms;
    struct nfq_handle *handle = nfq_open ();
    if (!handle) {
        fprintf (stderr, "nfqdelay: cannot open netfilter queue handle: %s\n", strerror (errno));
        return 1;
    }
    self.queue = nfq_create_queue (handle, (uint16_t) queue_num, s_on_packet, &self);
    if (!self.queue
    ||  nfq_set_mode (self.queue, NFQNL_COPY_META, 0) < 0
    ||  nfq_set_queue_maxlen (self.queue, RING_SIZE) < 0) {
        fprintf (stderr, "nfqdelay: cannot bind queue %ld: %s\n", queue_num, strerror (errno));
        nfq_close (handle);
        return 1;
    }
    nfnl_rcvbufsiz (nfq_nfnlh (handle), 8 * 1024 * 1024);
    signal (SIGINT, s_on_signal);
    signal (SIGTERM, s_on_signal);
    fprintf (stderr, "nfqdelay: queue %ld, %ld ms\n", queue_num, delay_ms);
    int fd = nfq_fd (handle);
    static char buffer [65536];
    while (!s_stop) {
        struct pollfd item = { fd, POLLIN, 0 };
        int ready = poll (&item, 1, s_release (&self));
        if (ready < 0 && errno != EINTR)
            break;
        if (ready > 0) {
            ssize_t size = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (size > 0)
                nfq_handle_packet (handle, buffer, (int) size);
            else
            if (size < 0 && errno == ENOBUFS)
                fprintf (stderr, "nfqdelay: the kernel dropped packets (socket buffer full)\n");
        }
    }
    //  Whatever is still held goes through now, not dropped.
    self.delay_ms = 0;
    for (size_t i = 0; i < self.count; i++)
        self.ring [(self.head + i) % RING_SIZE].due_ms = 0;
    s_release (&self);
    fprintf (stderr, "nfqdelay: %llu packets delayed, %llu let through at once\n",
             (unsigned long long) self.delayed, (unsigned long long) self.passed);
    nfq_destroy_queue (self.queue);
    nfq_close (handle);
    return 0;
}
