/*  bz_service: the start and stop every service process shares: see bz_service.h.  */
#include "bz_service.h"

int
bz_service_start (bz_service_t *self, const char *ident, const char *config_path)
{
    assert (self && ident);
    memset (self, 0, sizeof *self);
    zsys_init ();
    zsys_set_logident (ident);
    if (!(self->config = bz_config_new (config_path)))
        return 2;
    bz_config_log (self->config, ident);
    if (!(self->security = bz_security_new (self->config)))
        return 1;
    bz_security_set_default (self->security);
    return 0;
}

void
bz_service_stop (bz_service_t *self)
{
    assert (self);
    if (self->security)
        bz_security_set_default (NULL);
    bz_security_destroy (&self->security);
    bz_config_destroy (&self->config);
}
