/*
 * A domain's end and age as Xen's toolstack keeps them: destroy waits until the
 * hypervisor has freed the domain and then removes its xenstore nodes; the start time
 * lives in /vm/<uuid>/start_time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ctl/ctl.h"
#include "store/store.h"
#include "toolstack/config.h"
#include "toolstack/toolstack.h"

static void nap_ms(long ms)
{
    struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

    nanosleep(&ts, NULL);
}

int ts_domain_destroy(uint32_t domid)
{
    xen_domctl_getdomaininfo_t info;
    struct store *s;
    char path[64], *vm;
    int rc = ctl_destroy(domid);

    if (rc)
        return rc;
    for (int ms = 0; !ctl_domain_info(domid, &info); ms += 10) {
        if (ms >= 10000)
            return -ETIMEDOUT;
        nap_ms(10);
    }
    ts_userdata_remove(domid);
    s = ts_store();
    if (!s)
        return 0;
    snprintf(path, sizeof(path), "/local/domain/%u/vm", domid);
    vm = store_read(s, path, NULL);
    if (vm && vm[0] == '/')
        store_rm(s, vm);
    free(vm);
    snprintf(path, sizeof(path), "/local/domain/%u", domid);
    store_rm(s, path);
    return 0;
}

long ts_domain_uptime(uint32_t domid)
{
    struct store *s = ts_store();
    char path[160], *vm, *start;
    long up = -ENOENT;

    if (!s)
        return -ENOENT;
    snprintf(path, sizeof(path), "/local/domain/%u/vm", domid);
    vm = store_read(s, path, NULL);
    if (!vm)
        return -ENOENT;
    snprintf(path, sizeof(path), "%s/start_time", vm);
    start = store_read(s, path, NULL);
    if (start) {
        up = (long)(time(NULL) - (time_t)strtoll(start, NULL, 10));
        if (up < 0)
            up = 0;                     /* the clock went back since it started */
    }
    free(start);
    free(vm);
    return up;
}
