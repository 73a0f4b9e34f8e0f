/*  fuzz_catalog: libFuzzer target for catalog_server_handle, the catalog's request
    handler, driven without a broker on a private store in /dev/shm (or $TMPDIR).
    Input: the request's frames separated by the bytes C1 C1 C1 (0xc1 is never valid
    msgpack, so a separator never hides inside a well-formed frame).                    */
#include <czmq.h>
#include "catalog_server.h"
#include "bz_msg.h"
#include "fuzz.h"

static char s_dir [128];
static bz_config_t *s_config;
static catalog_store_t *s_store;
static catalog_server_t *s_server;

static void
s_cleanup (void)
{
    catalog_server_destroy (&s_server);
    catalog_store_destroy (&s_store);
    bz_config_destroy (&s_config);
    if (*s_dir) {
        char command [192];
        snprintf (command, sizeof command, "rm -rf '%s'", s_dir);
        if (system (command) != 0)
            fprintf (stderr, "fuzz_catalog: could not remove %s\n", s_dir);
    }
}

//  A fresh store of three stocks, a PUB bound on a private port range, and a worker
//  socket that connects to a bus that is not there (connects do not need a peer).
int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    setenv ("ZSYS_SIGHANDLER", "false", 1);
    zsys_init ();
    zsys_set_logstream (NULL);          //  refused batches log; the fuzzer's output matters
    const char *base = zsys_file_exists ("/dev/shm")? "/dev/shm": "/tmp";
    snprintf (s_dir, sizeof s_dir, "%s/fuzz_catalog_XXXXXX", base);
    FUZZ_CHECK (mkdtemp (s_dir));
    char csv [192];
    snprintf (csv, sizeof csv, "%s/catalog.csv", s_dir);
    FILE *file = fopen (csv, "w");
    FUZZ_CHECK (file);
    fputs ("name,price\nFishCo,8.25\nBoarCo,21.5\nGameStart,15.99\n", file);
    fclose (file);
    setenv ("BAZAAR_DATA", s_dir, 1);
    for (int attempt = 0; attempt < 20 && !s_server; attempt++) {
        char port_base [16];
        snprintf (port_base, sizeof port_base, "%d",
                  20000 + (int) ((getpid () + attempt * 97) % 900) * 32);
        setenv ("BAZAAR_PORT_BASE", port_base, 1);
        bz_config_destroy (&s_config);
        s_config = bz_config_new_defaults ();
        FUZZ_CHECK (s_config);
        if (!s_store)
            s_store = catalog_store_new (bz_config_path (s_config, "catalog.db"), csv);
        FUZZ_CHECK (s_store);
        s_server = catalog_server_new (s_config, s_store);
    }
    FUZZ_CHECK (s_server);
    atexit (s_cleanup);
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_server)
        LLVMFuzzerInitialize (NULL, NULL);
    zmsg_t *request = zmsg_new ();
    size_t start = 0;
    for (size_t i = 0; i + 3 <= size; i++)
        if (data [i] == 0xc1 && data [i + 1] == 0xc1 && data [i + 2] == 0xc1) {
            zmsg_addmem (request, data + start, i - start);
            start = i + 3;
            i += 2;
        }
    if (size > 0)
        zmsg_addmem (request, data + start, size - start);
    zmsg_t *reply = catalog_server_handle (s_server, &request);
    FUZZ_CHECK (request == NULL);
    FUZZ_CHECK (reply != NULL);
    //  Every reply frame is a message the protocol allows as a catalog reply.
    for (zframe_t *frame = zmsg_first (reply); frame; frame = zmsg_next (reply)) {
        bz_msg_t msg;
        char error [128];
        bz_msg_id_t id = bz_msg_decode_frame (&msg, frame, error, sizeof error);
        if (id == BZ_MSG_NONE)
            fprintf (stderr, "fuzz_catalog: reply frame does not decode: %s\n", error);
        FUZZ_CHECK (id == BZ_MSG_STOCK || id == BZ_MSG_ERROR || id == BZ_MSG_TRADED
                ||  id == BZ_MSG_BATCH || id == BZ_MSG_RECORD);
        if (id == BZ_MSG_ERROR)
            FUZZ_CHECK (msg.code >= 400 && msg.code <= 599);
        if (id == BZ_MSG_STOCK)
            FUZZ_CHECK (msg.quantity >= 0 && msg.volume >= 0);
    }
    zmsg_destroy (&reply);
    catalog_server_publish (s_server);
    return 0;
}
