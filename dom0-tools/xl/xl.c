/*
 * xl's entry: global options (-v is accepted and ignored, as kumo's xl logs nothing more),
 * the platform opened, then the command from the table.
 */
#include <string.h>
#include <unistd.h>

#include "xl.h"

FILE *xl_out;
FILE *xl_errout;

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
    argc--, argv++;
    while (argc > 0 && !strcmp(argv[0], "-v"))
        argc--, argv++;
    if (argc > 0 && strcmp(argv[0], "help") && (rc = ctl_open()) < 0)
        return xl_error("cannot reach the hypervisor through /dev/xen/privcmd: %s",
                        strerror(-rc));
    rc = xl_run(argc, argv);
    fflush(xl_out);
    return rc;
}
