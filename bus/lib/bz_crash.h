/*  bz_crash: named crash points for tests. With BAZAAR_CRASH_AT=<step> in its
    environment a service dies at that step, so a test can kill it deterministically.  */
#ifndef BZ_CRASH_H
#define BZ_CRASH_H

//  Ends the process at once with _exit (137), the status a SIGKILL gives: no clean-up,
//  no atexit, no sanitizer report, when step equals $BAZAAR_CRASH_AT. Costs one getenv
//  per call only until the first call.
void bz_crash_point (const char *step);

#endif
