/*
 * Runs xl's command table in-process for the host tests that include xl's sources (a line
 * starting with "xl" goes through xl_main, global options and all): one command line
 * (words split at spaces) in, its exit status out, with what it printed in out and err
 * (freed by the next call).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

FILE *xl_out;
FILE *xl_errout;
static char *out, *err;

/* The fake platform is always open. */
int xl_platform_open(void)
{
    return 0;
}

static int xl(const char *cmdline)
{
    char buf[512], *argv[16], *save = NULL;
    size_t out_len, err_len;
    int argc = 0, rc;

    free(out);
    free(err);
    snprintf(buf, sizeof(buf), "%s", cmdline);
    for (char *w = strtok_r(buf, " ", &save); w && argc < 15; w = strtok_r(NULL, " ", &save))
        argv[argc++] = w;
    argv[argc] = NULL;
    optind = 0;     /* each command parses its options afresh, as in a new process */
    xl_dryrun = false;
    xl_out = open_memstream(&out, &out_len);
    xl_errout = open_memstream(&err, &err_len);
    /* "xl ..." runs the whole front door (global options); else the command alone. */
    rc = argc && !strcmp(argv[0], "xl") ? xl_main(argc, argv) : xl_run(argc, argv);
    fclose(xl_out);
    fclose(xl_errout);
    return rc;
}
