/*  bz_crash: test-only crash injection; see bz_crash.h.
    _exit rather than abort, so sanitizers and core dumps do not slow the test down.  */
#include <czmq.h>
#include "bz_crash.h"

void
bz_crash_point (const char *step)
{
    static const char *crash_at = NULL;
    static bool resolved = false;
    if (!resolved) {
        crash_at = getenv ("BAZAAR_CRASH_AT");
        resolved = true;
    }
    if (crash_at && streq (crash_at, step)) {
        zsys_warning ("crash point %s reached: exiting without clean-up", step);
        _exit (137);
    }
}
