/*  replay_main: runs fuzz target inputs (tests/fuzz/corpus, tests/fuzz/regressions)
    through LLVMFuzzerTestOneInput without libFuzzer; built as fuzz-replay-<what> by
    `make all` with the normal compiler and sanitizers, run by tests/e2e/fuzz_replay.bats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fuzz.h"

//  Reads a whole regular file into an exact-size heap buffer (ASan then sees over-reads).
static uint8_t *
s_read (const char *path, size_t *size_p)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    struct stat info;
    if (fstat (fileno (file), &info) || !S_ISREG (info.st_mode) || info.st_size > (1 << 24)) {
        fclose (file);
        return NULL;
    }
    size_t size = (size_t) info.st_size;
    uint8_t *data = (uint8_t *) malloc (size? size: 1);
    if (data && fread (data, 1, size, file) != size) {
        free (data);
        data = NULL;
    }
    fclose (file);
    *size_p = size;
    return data;
}

int
main (int argc, char *argv [])
{
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize (&argc, &argv);
    int replayed = 0, unreadable = 0;
    for (int arg = 1; arg < argc; arg++) {
        struct stat info;
        if (stat (argv [arg], &info) == 0 && S_ISDIR (info.st_mode))
            continue;               //  an empty regressions dir's unexpanded glob, or a dir
        size_t size = 0;
        uint8_t *data = s_read (argv [arg], &size);
        if (!data) {
            fprintf (stderr, "replay: cannot read %s\n", argv [arg]);
            unreadable++;
            continue;
        }
        //  Copied to its exact size, as libFuzzer does (a zero-size input has no bytes).
        uint8_t *exact = (uint8_t *) malloc (size? size: 1);
        memcpy (exact, data, size);
        LLVMFuzzerTestOneInput (exact, size);
        free (exact);
        free (data);
        replayed++;
    }
    printf ("replayed %d inputs, %d unreadable\n", replayed, unreadable);
    return unreadable? 1: 0;
}
