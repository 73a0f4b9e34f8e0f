/*  fuzz: the libFuzzer entry points every tests/fuzz/fuzz_<what>.c defines.
    Built by `make fuzz` (clang, libFuzzer) and by `make all` as fuzz-replay-<what>.  */
#ifndef BZ_FUZZ_H
#define BZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

//  Runs one input; returns 0. A property that does not hold aborts (a finding).
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

//  Optional one-time setup; libFuzzer and replay_main call it when defined.
int LLVMFuzzerInitialize (int *argc, char ***argv) __attribute__ ((weak));

//  A broken property: printed, then abort() so libFuzzer saves the input.
#define FUZZ_CHECK(cond) do { if (!(cond)) { \
    fprintf (stderr, "fuzz: property failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    abort (); } } while (0)

#endif
