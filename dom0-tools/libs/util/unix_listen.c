/*
 * bind() creates the path before listen() makes it accept: a client between the two is
 * refused. Binding under a temporary name and renaming it into place once it listens closes
 * that window; rename() also replaces a stale socket atomically.
 */
#include "util/unix_listen.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int unix_listen(const char *path, int backlog)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd, err;

    if ((size_t)snprintf(addr.sun_path, sizeof(addr.sun_path), "%s.%d.new", path,
                         (int)getpid()) >= sizeof(addr.sun_path))
        return -ENAMETOOLONG;
    unlink(addr.sun_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        err = -errno;
        close(fd);
        return err;
    }
    if (chmod(addr.sun_path, 0600) < 0 || listen(fd, backlog) < 0 ||
        rename(addr.sun_path, path) < 0) {
        err = -errno;
        unlink(addr.sun_path);
        close(fd);
        return err;
    }
    return fd;
}
