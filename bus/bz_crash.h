/*  bz_crash: named crash points for tests. With BAZAAR_CRASH_AT=<step> in its
    environment a service aborts at that step, so a test can kill it deterministically.  */
#ifndef BZ_CRASH_H
#define BZ_CRASH_H

//  Aborts the process (SIGABRT, no clean-up, like a SIGKILL) when step equals
//  $BAZAAR_CRASH_AT. Costs one getenv per call only until the first call.
void bz_crash_point (const char *step);

#endif
