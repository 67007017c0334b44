/*
 * A listening Unix socket that appears at its path only once it accepts connections, so a
 * client (or a test) that waits for the path never meets ECONNREFUSED.
 */
#ifndef UTIL_UNIX_LISTEN_H
#define UTIL_UNIX_LISTEN_H

/* The socket's fd (SOCK_CLOEXEC | SOCK_NONBLOCK), mode 0600; a negative errno on failure. */
int unix_listen(const char *path, int backlog);

#endif
