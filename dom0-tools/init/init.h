/*
 * Dom0's init (runs as /init from the root archive): the steps of a boot and the children
 * init watches over. A step that fails says so on the console and the boot goes on, so the
 * shell is always reached.
 */
#ifndef DOM0_INIT_H
#define DOM0_INIT_H

#include <stdbool.h>
#include <sys/types.h>

/* Prints "init: " + the message + newline on the console. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Loads every module listed (one path a line) in list; returns how many failed. */
int load_modules(const char *list);

/* Creates bridge name and brings it up; 0 or -errno (the failure is reported). */
int create_bridge(const char *name);

/* Records a child init reports by name when it exits (a boot step only if it failed). */
void watch_child(pid_t pid, const char *name, bool daemon);

/* Watches a daemon that forked away from its starter by the pid it writes to pid_file
 * (waiting up to ms for it), so its end is reported by name, a clean exit included. */
void watch_daemon(const char *name, const char *pid_file, int ms);

/* Runs path (a program, or a script through /bin/sh) if present and waits for it; 0 when it
 * ran and succeeded, -1 when absent or failed (both said on the console). */
int run_optional(const char *name, const char *path, bool script);

/* Runs argv[0] and waits for it (reaping and reporting other children meanwhile); returns its
 * wait status, or -1 if it could not be started. */
int run_and_wait(const char *name, char *const argv[]);

/* Reaps one exited child, reporting daemons; returns its pid, or -1 (EINTR, none). */
pid_t reap_one(int *status);

#endif
