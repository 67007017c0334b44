/*
 * introduce-boot-domains: run by Dom0's init once xenstored answers. Writes the xenstore
 * nodes Xen's toolstack writes for its domains (libs/toolstack/introduce.c) for every
 * domain kumo built at boot, Dom0 included, named with the names kumo gave them
 * (KUMO_SYSCTL_getdomainname, include/public/kumo.h). Domains the store already names
 * are left alone, so running it twice changes nothing. One line per domain on stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl.h"
#include "toolstack/toolstack.h"

/* Boot-time domains started with the machine: now minus Dom0's uptime. */
static long boot_time(void)
{
    FILE *f = fopen("/proc/uptime", "r");
    double up = 0;

    if (f) {
        if (fscanf(f, "%lf", &up) != 1)
            up = 0;
        fclose(f);
    }
    return (long)(time(NULL) - (time_t)up);
}

int main(void)
{
    xen_domctl_getdomaininfo_t info[256];
    char name[TS_NAME_MAX];
    int n, rc, failed = 0;

    if ((rc = ctl_open()) || (n = ctl_domain_list(0, info, 256)) < 0) {
        fprintf(stderr, "introduce-boot-domains: cannot list domains: %s\n",
                strerror(rc ? -rc : -n));
        return 1;
    }
    if (!ts_store()) {
        fprintf(stderr, "introduce-boot-domains: no xenstored answers\n");
        return 1;
    }
    for (int i = 0; i < n; i++) {
        rc = ts_introduce_boot_domain(info[i].domain, boot_time());
        if (rc == -EEXIST)
            continue;
        if (!rc && !ts_domain_name(info[i].domain, name, sizeof(name))) {
            printf("introduce-boot-domains: domain %u is %s\n", info[i].domain, name);
        } else {
            fprintf(stderr, "introduce-boot-domains: domain %u: %s\n", info[i].domain,
                    strerror(-rc));
            failed = 1;
        }
    }
    return failed;
}
