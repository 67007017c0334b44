/*
 * xl create: the config file read whole, parsed with the command line's key=value
 * settings after it (tools/xl/xl_vmcontrol.c main_create), then either printed as
 * libxl's JSON (-n/--dryrun) or handed to the toolstack's builder.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/config.h"
#include "toolstack/toolstack.h"
#include "xl.h"

#define XL_MAX_OVERRIDES 64

/* The file's contents, NUL-terminated; /dev/null stands for an empty config as in Xen. */
static char *read_config(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    char *data = NULL;
    size_t cap = 0, n;

    *len = 0;
    if (!f)
        return NULL;
    do {
        if (*len + 4096 + 1 > cap) {
            char *more = realloc(data, cap = *len + 65536);

            if (!more) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = more;
        }
        n = fread(data + *len, 1, cap - *len - 1, f);
        *len += n;
    } while (n > 0);
    fclose(f);
    if (data)
        data[*len] = '\0';
    return data ? data : strdup("");
}

/* The host's CPU count for cpu lists, or kumo's limit when the hypervisor is not there. */
static unsigned int host_cpus(void)
{
    struct xen_sysctl_physinfo pi;

    if (ctl_physinfo(&pi) == 0 && pi.nr_cpus > 0 && pi.nr_cpus <= TS_MAX_VCPUS)
        return pi.nr_cpus;
    return TS_MAX_VCPUS;
}

int main_create(int argc, char **argv)
{
    static const struct option opts[] = {
        { "dryrun", no_argument, NULL, 'n' }, { "quiet", no_argument, NULL, 'q' },
        { "defconfig", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 },
    };
    struct ts_config_opts o = { .err = xl_errout };
    struct ts_domain_config cfg;
    struct ts_create_error err;
    bool dryrun = false, quiet = false, paused = false;
    const char *file = NULL;
    char *overrides[XL_MAX_OVERRIDES], *data;
    uint32_t domid;
    int opt, rc;

    if (argc > 1 && argv[1][0] != '-' && !strchr(argv[1], '='))
        file = argv[1], argc--, argv++;
    while ((opt = getopt_long(argc, argv, "cpqnf:", opts, NULL)) != -1) {
        switch (opt) {
        case 'n': dryrun = true; break;
        case 'q': quiet = true; break;
        case 'p': paused = true; break;
        case 'c': break;                /* the console attaches once xenconsoled exists */
        case 'f': file = optarg; break;
        default: return xl_usage("create");
        }
    }
    for (; optind < argc; optind++) {
        if (strchr(argv[optind], '=') && o.n_overrides < XL_MAX_OVERRIDES)
            overrides[o.n_overrides++] = argv[optind];
        else if (!file && !strchr(argv[optind], '='))
            file = argv[optind];
        else
            return xl_usage("create");
    }
    if (!file)
        return xl_error("create: no config file given");
    if (!(data = read_config(file, &o.len)))
        return xl_error("Failed to read config file: %s: %s", file, strerror(errno));
    if (!quiet)
        fprintf(xl_errout, "Parsing config from %s\n", file);
    o.source = file;
    o.data = data;
    o.overrides = overrides;
    o.nr_cpus = host_cpus();
    rc = ts_config_load(&o, &cfg);
    free(data);
    if (rc == -ENOMEM)
        return xl_error("create: out of memory");
    if (rc)
        return 1;
    if (dryrun) {
        ts_config_print_json(&cfg, xl_out);
        ts_config_free(&cfg);
        return 0;
    }
    rc = ts_domain_create(&cfg, paused, &domid, &err);
    ts_config_free(&cfg);
    if (rc)
        return xl_error("create: %s: %s", err.step, err.why);
    return 0;
}
