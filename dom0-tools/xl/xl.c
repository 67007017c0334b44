/*
 * xl's entry: the output streams set up, then xl_main (cmdtable.c) with the global options
 * and the command; the platform is opened only once a command needs it.
 */
#include <string.h>

#include "xl.h"

FILE *xl_out;
FILE *xl_errout;

int xl_platform_open(void)
{
    int rc = ctl_open();

    if (rc < 0)
        return xl_error("cannot reach the hypervisor through /dev/xen/privcmd: %s",
                        strerror(-rc));
    return 0;
}

int main(int argc, char **argv)
{
    int rc;

    xl_out = stdout;
    xl_errout = stderr;
    /*
     * A message goes out whole, in one write: on Dom0's console a hypervisor line that came
     * between the pieces of an unbuffered stderr line would cut it in two.
     */
    setvbuf(stderr, NULL, _IOLBF, 0);
    rc = xl_main(argc, argv);
    fflush(xl_out);
    return rc;
}
