/*
 * Domains built by the hypervisor at boot: Dom0 from the first module (its string is
 * Dom0's command line, as in Xen), and a DomU for each module whose string starts with
 * "domU ": `domU name=g1 memory=16M vcpus=2 cpus=2-3 weight=512 -- <guest command line>`.
 * Modules right after it whose string starts with "domU-module" are its start-info modules
 * (the first is a Linux guest's initrd); the rest of the string is the module's command line.
 * A bad key or value skips that domain with a message; the others still boot.
 */
#include <asm/percpu.h>
#include <kumo/acpi_power.h>
#include <kumo/boot.h>
#include <kumo/console.h>
#include <kumo/dom0.h>
#include <kumo/domain_build.h>
#include <kumo/mm.h>
#include <kumo/panic.h>
#include <kumo/param.h>
#include <kumo/sched.h>
#include <kumo/xen_abi.h>

#define DEFAULT_DOMU_MEMORY (32ULL << 20)
#define DEFAULT_DOM0_MEMORY (512ULL << 20)

/*
 * Loaders differ on whether a module's string starts with its path: drop a path, and the
 * "placeholder" word Xen's GRUB entries write there.
 */
static const char *module_args(const char *s)
{
    const char *space;

    s = cmdline_skip_placeholder(s);
    space = strchr(s, ' ');
    if (s[0] == '/' || (space && memchr(s, '/', (size_t)(space - s))))
        return space ? space + 1 : "";
    return s[0] == '/' ? "" : s;
}

static bool is_domu_module(const struct boot_module *m)
{
    const char *s = module_args(m->string);

    return !strncmp(s, "domU ", 5) || !strcmp(s, "domU");
}

/* "domU-module[ <cmdline>]": a module of the domU module before it. */
static const char *domu_extra_module(const struct boot_module *m)
{
    const char *s = module_args(m->string);

    if (strncmp(s, "domU-module", 11) || (s[11] != ' ' && s[11] != '\0'))
        return NULL;
    return s[11] ? s + 12 : s + 11;
}

/* "2-3", "0,2,5", "all": a mask of pCPUs; -1 on a bad list. */
static int parse_cpus(const char *s, uint64_t *mask)
{
    *mask = 0;
    if (!strcmp(s, "all")) {
        *mask = ~0ULL;
        return 0;
    }
    while (*s) {
        const char *end;
        unsigned long long lo = simple_strtoull(s, &end, 10), hi = lo;

        if (end == s)
            return -1;
        if (*end == '-') {
            s = end + 1;
            hi = simple_strtoull(s, &end, 10);
            if (end == s)
                return -1;
        }
        if (hi < lo || hi >= NR_CPUS)
            return -1;
        for (unsigned long long c = lo; c <= hi; c++)
            *mask |= 1ULL << c;
        if (*end == ',')
            end++;
        else if (*end)
            return -1;
        s = end;
    }
    return *mask ? 0 : -1;
}

/* Applies one key=value of a domU line; NULL or a message naming what is wrong. */
static const char *domu_key(struct pvh_build_args *a, char *name_buf, const char *key,
                            const char *val)
{
    const char *end;
    unsigned long long n;

    if (!strcmp(key, "name")) {
        if (!*val || strlen(val) >= DOMAIN_NAME_LEN)
            return "bad name";
        strlcpy(name_buf, val, DOMAIN_NAME_LEN);
        return NULL;
    }
    if (!strcmp(key, "memory")) {
        /* xl.cfg's memory= is in MiB; a K/M/G suffix is accepted too. */
        n = simple_strtoull(val, &end, 10);
        if (end == val)
            return "bad memory";
        if (!*end)
            a->memory = n << 20;
        else if (parse_size(val, &end, &a->memory) || *end)
            return "bad memory";
        return NULL;
    }
    if (!strcmp(key, "cpus"))
        return parse_cpus(val, &a->cpumask) ? "bad cpus" : NULL;
    if (!strcmp(key, "extra")) {
        if (strcmp(val, "0") && strcmp(val, "1"))
            return "bad extra (0 or 1)";
        a->sched.has_extra = true;
        a->sched.extra = val[0] == '1';
        return NULL;
    }
    if (strcmp(key, "vcpus") && strcmp(key, "weight") && strcmp(key, "cap") &&
        strcmp(key, "period") && strcmp(key, "slice"))
        return "unknown key";
    n = simple_strtoull(val, &end, 10);
    /* period= and slice= are in milliseconds, as xl sched-sedf takes them. */
    if (end == val || (*end && strcmp(end, "ms")))
        return "bad number";
    if (!strcmp(key, "vcpus"))
        a->vcpus = (unsigned int)MIN(n, 1000ULL);
    else if (!strcmp(key, "weight") && n >= 1 && n <= 65535)
        a->sched.has_weight = true, a->sched.weight = (unsigned int)n;
    else if (!strcmp(key, "cap") && n <= 100 * NR_CPUS)
        a->sched.has_cap = true, a->sched.cap = (unsigned int)n;
    else if (!strcmp(key, "period") && n >= 1 && n <= 10000)
        a->sched.has_period = true, a->sched.period = MILLISECS(n);
    else if (!strcmp(key, "slice") && n >= 1 && n <= 10000)
        a->sched.has_slice = true, a->sched.slice = MILLISECS(n);
    else
        return "value out of range";
    return NULL;
}

/*
 * Cuts line at its " -- " and returns the guest command line after it: "" when the line
 * ends with " --" (GRUB and QEMU drop the trailing space of an empty one) or has none.
 */
static char *split_guest_cmdline(char *line)
{
    for (char *p = strstr(line, " --"); p; p = strstr(p + 1, " --")) {
        if (p[3] == ' ' || p[3] == '\0') {
            *p = '\0';
            return p[3] ? p + 4 : p + 3;
        }
    }
    return line + strlen(line);
}

/* The domU-module modules after module index, at most max of them, into mods. */
static unsigned int domu_modules(unsigned int index, struct build_module *mods, unsigned int max)
{
    unsigned int n = 0;
    const char *args;

    for (unsigned int i = index + 1; i < boot_info.nr_modules && n < max; i++) {
        const struct boot_module *m = &boot_info.modules[i];

        if (!(args = domu_extra_module(m)))
            break;
        mods[n++] = (struct build_module){ __va(m->start), m->end - m->start, args };
    }
    return n;
}

static struct domain *build_domu(const struct boot_module *m, unsigned int index)
{
    static struct build_module mods[8];             /* boot domains are built one by one */
    char line[sizeof(m->string)], name[DOMAIN_NAME_LEN], *p, *cmdline;
    struct pvh_build_args a = { .memory = DEFAULT_DOMU_MEMORY, .vcpus = 1 };
    const char *why = NULL;
    struct domain *d;

    snprintf(name, sizeof(name), "domU%u", index);
    strlcpy(line, module_args(m->string) + 4, sizeof(line));
    cmdline = split_guest_cmdline(line);
    for (p = line; *p && !why;) {
        char *key, *val, *end;

        while (*p == ' ')
            p++;
        if (!*p)
            break;
        key = p;
        end = strchr(p, ' ');
        p = end ? end + 1 : p + strlen(p);
        if (end)
            *end = '\0';
        val = strchr(key, '=');
        if (!val) {
            printk("domU module %u: '%s' is not key=value; domain skipped\n", index, key);
            return NULL;
        }
        *val++ = '\0';
        why = domu_key(&a, name, key, val);
        if (why) {
            printk("domU module %u: %s in '%s=%s'; domain skipped\n", index, why, key, val);
            return NULL;
        }
    }
    a.name = name;
    a.kernel = __va(m->start);
    a.kernel_len = m->end - m->start;
    a.cmdline = cmdline;
    a.modules = mods;
    a.nr_modules = domu_modules(index, mods, ARRAY_SIZE(mods));
    d = pvh_build(&a, &why);
    if (!d) {
        printk("domU module %u (%s): %s; domain skipped\n", index, name, why);
        return NULL;
    }
    printk("d%u (%s): %lu MiB, %u vCPUs, built from module %u%s\n", d->domid, d->name,
           d->tot_pages >> (20 - PAGE_SHIFT), d->nr_vcpus, index,
           a.nr_modules ? " with its domU-modules" : "");
    return d;
}

static struct domain *build_dom0(const struct boot_module *kernel)
{
    struct build_module mods[BOOT_MAX_MODULES];
    struct pvh_build_args a = { .name = "Domain-0", .privileged = true };
    uint64_t half = (uint64_t)total_free_pages() << (PAGE_SHIFT - 1);
    unsigned int cpu, online = 0;
    const char *why;
    struct domain *d;

    for_each_online_cpu(cpu)
        online++;
    a.memory = dom0_opts.mem ? dom0_opts.mem : MIN(DEFAULT_DOM0_MEMORY, half);
    if (dom0_opts.mem_max && a.memory > dom0_opts.mem_max)
        a.memory = dom0_opts.mem_max;
    a.memory = MAX(a.memory, dom0_opts.mem_min);
    a.vcpus = online;
    if (dom0_opts.max_vcpus_max && a.vcpus > dom0_opts.max_vcpus_max)
        a.vcpus = dom0_opts.max_vcpus_max;
    a.vcpus = MAX(a.vcpus, dom0_opts.max_vcpus_min);
    a.kernel = __va(kernel->start);
    a.kernel_len = kernel->end - kernel->start;
    a.cmdline = module_args(kernel->string);
    for (unsigned int i = 1; i < boot_info.nr_modules; i++) {
        const struct boot_module *m = &boot_info.modules[i];

        if (is_domu_module(m) || domu_extra_module(m))
            continue;
        mods[a.nr_modules++] = (struct build_module){ __va(m->start), m->end - m->start,
                                                      module_args(m->string) };
    }
    a.modules = mods;
    d = pvh_build(&a, &why);
    if (!d) {
        printk("Dom0 not built from module 0: %s\n", why);
        return NULL;
    }
    printk("Dom0: %lu MiB, %u vCPUs, %u modules, command line '%s'\n",
           d->tot_pages >> (20 - PAGE_SHIFT), d->nr_vcpus, a.nr_modules, a.cmdline);
    return d;
}

void build_boot_domains(void)
{
    const struct boot_module *dom0_kernel = NULL;
    struct domain *dom0 = NULL, *domus[BOOT_MAX_MODULES];
    unsigned int nr_domus = 0;

    if (!hvm_enabled)
        return;
    printk("Heap: %lu pages free before building domains\n", total_free_pages());
    if (boot_info.nr_modules && !is_domu_module(&boot_info.modules[0]))
        dom0_kernel = &boot_info.modules[0];
    if (dom0_kernel)
        dom0 = build_dom0(dom0_kernel);
    else
        printk("No Dom0 kernel module: running boot-time domains only\n");
    for (unsigned int i = 0; i < boot_info.nr_modules; i++)
        if (is_domu_module(&boot_info.modules[i]) &&
            (domus[nr_domus] = build_domu(&boot_info.modules[i], i)))
            nr_domus++;
    /*
     * Nothing runs until everything is built: the boot CPU is not free to run vCPUs while it
     * builds (seconds on Bochs), and Dom0 must never see a boot-time domain half built.
     */
    for (unsigned int i = 0; i < nr_domus; i++)
        domain_unpause(domus[i]);
    if (dom0)
        domain_unpause(dom0);
}

void dom0_stopped(struct domain *d)
{
    switch (d->shutdown_code) {
    case SHUTDOWN_poweroff:
        printk("Dom0 halted: powering off\n");
        machine_power_off();
    case SHUTDOWN_reboot:
        printk("Dom0 rebooted: restarting the machine\n");
        machine_restart();
    default:
        if (opt_noreboot) {
            printk("Hardware Dom0 crashed: 'noreboot' set - not rebooting\n");
            return;
        }
        printk("Hardware Dom0 crashed: rebooting machine in 5 seconds\n");
        udelay(5000000);
        machine_restart();
    }
}
