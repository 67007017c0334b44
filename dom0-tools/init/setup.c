/*
 * The kernel-facing steps of Dom0's boot: loading the modules listed at image time (the list
 * is already in dependency order, so no modprobe or modules.dep is needed) and creating the
 * guests' bridge with the same ioctls brctl and ip use.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

static int load_module(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc = 0;

    if (fd < 0)
        return -errno;
    if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
        rc = -errno;
    close(fd);
    return rc;
}

int load_modules(const char *list)
{
    FILE *f = fopen(list, "re");
    char line[512];
    int loaded = 0, failed = 0;

    if (!f) {
        say("no module list %s: %s", list, strerror(errno));
        return 1;
    }
    while (fgets(line, sizeof(line), f)) {
        int rc;

        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        rc = load_module(line);
        if (rc) {
            say("module %s failed to load: %s", line, strerror(-rc));
            failed++;
        } else {
            loaded++;
        }
    }
    fclose(f);
    say("%d modules loaded, %d failed", loaded, failed);
    return failed;
}

int create_bridge(const char *name)
{
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int rc = 0;

    if (s < 0) {
        say("bridge %s: socket: %s", name, strerror(errno));
        return -errno;
    }
    if (ioctl(s, SIOCBRADDBR, name) < 0 && errno != EEXIST) {
        rc = -errno;
        say("bridge %s not created: %s", name, strerror(errno));
        goto out;
    }
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0 || (ifr.ifr_flags |= IFF_UP,
                                               ioctl(s, SIOCSIFFLAGS, &ifr) < 0)) {
        rc = -errno;
        say("bridge %s not brought up: %s", name, strerror(errno));
        goto out;
    }
    say("bridge %s up", name);
out:
    close(s);
    return rc;
}
