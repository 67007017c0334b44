/*
 * xl create: the config file read whole, parsed with the command line's key=value
 * settings after it (tools/xl/xl_vmcontrol.c main_create), then either printed as
 * libxl's JSON (-n/--dryrun) or handed to the toolstack's builder.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/*
 * The monitor (libs/toolstack monitor.c) in a child that outlives xl, logging where
 * Xen's xl logs it; with foreground, xl itself monitors until the domain is gone.
 */
static int start_monitor(const struct ts_domain_config *cfg, uint32_t domid, bool foreground)
{
    struct ts_monitor m = { .domid = domid, .cfg = cfg };
    char path[128];
    pid_t pid;
    int fd;

    if (!foreground && (pid = fork()) != 0)
        return pid < 0 ? xl_error("create: cannot start the monitor: %s", strerror(errno)) : 0;
    ts_store_close();                   /* the parent's connection stays the parent's */
    if (!foreground) {
        setsid();
        mkdir("/var/log/xen", 0755);
        snprintf(path, sizeof(path), "/var/log/xen/xl-%s.log", cfg->name);
        m.log = fopen(path, "ae");
        /* The monitor speaks only to its log: the terminal belongs to the shell again. */
        if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
            dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
            if (fd > 2)
                close(fd);
        }
    } else {
        m.log = xl_errout;
    }
    ts_monitor_run(&m);
    if (!foreground)
        _exit(0);
    return 0;
}

int main_create(int argc, char **argv)
{
    static const struct option opts[] = {
        { "dryrun", no_argument, NULL, 'n' }, { "quiet", no_argument, NULL, 'q' },
        { "defconfig", required_argument, NULL, 'f' },
        { "ignore-global-affinity-masks", no_argument, NULL, 'i' }, XL_LONG_HELP,
    };
    struct ts_config_opts o = { .err = xl_errout };
    struct ts_domain_config cfg;
    struct ts_create_error err;
    bool dryrun = xl_dryrun, quiet = false, paused = false, console = false, monitor = true;
    bool foreground = false;
    const char *file = NULL;
    char *overrides[XL_MAX_OVERRIDES], *data;
    uint32_t domid = 0;
    int opt, rc;

    if (argc > 1 && argv[1][0] != '-' && !strchr(argv[1], '='))
        file = argv[1], argc--, argv++;
    /* -d (debug messages) and -i (no xl.conf masks: kumo has none) change nothing here. */
    while ((opt = xl_getopt(argc, argv, "cdeFf:inpq", opts, "create", 0, &rc)) != -1) {
        switch (opt) {
        case XL_OPT_EXIT: return rc;
        case 'n': dryrun = true; break;
        case 'q': quiet = true; break;
        case 'p': paused = true; break;
        case 'c': console = true; break;
        case 'e': monitor = false; break;
        case 'F': foreground = true; break;
        case 'f': file = optarg; break;
        }
    }
    for (; optind < argc; optind++) {
        if (strchr(argv[optind], '=') && o.n_overrides < XL_MAX_OVERRIDES)
            overrides[o.n_overrides++] = argv[optind];
        else if (!file && !strchr(argv[optind], '='))
            file = argv[optind];
        else
            return xl_usage("create") + 1;      /* Xen's status for a second file: 2 */
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
    if (rc)
        rc = xl_error("create: %s: %s", err.step, err.why);
    else if (monitor)
        rc = start_monitor(&cfg, domid, foreground && !console);
    ts_config_free(&cfg);
    if (!rc && console)
        rc = xl_console_attach(domid);
    return rc;
}
