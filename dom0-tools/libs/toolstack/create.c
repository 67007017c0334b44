/*
 * Creating a domain from a parsed xl.cfg: the seam where the domain builder (kernel and
 * ramdisk loading, start info, xenstore introduction) goes. Until it exists, nothing is
 * created.
 */
#include <errno.h>

#include "toolstack/config.h"

int ts_domain_create(const struct ts_domain_config *cfg, bool paused, uint32_t *domid)
{
    (void)cfg;
    (void)paused;
    (void)domid;
    return -EOPNOTSUPP;
}
