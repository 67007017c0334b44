/*
 * dom0_mem=, dom0_max_vcpus= and sched=: parsed and validated here, consumed by the Dom0
 * builder and the scheduler core.
 */
#include <kumo/console.h>
#include <kumo/dom0.h>
#include <kumo/param.h>

struct dom0_options dom0_opts = { .sched = "credit" };

int parse_dom0_mem(const char *s, struct dom0_options *o)
{
    struct dom0_options t = *o;

    while (*s) {
        uint64_t *dst = &t.mem;
        const char *end;

        if (!strncmp(s, "min:", 4)) {
            dst = &t.mem_min;
            s += 4;
        } else if (!strncmp(s, "max:", 4)) {
            dst = &t.mem_max;
            s += 4;
        }
        if (parse_size(s, &end, dst) < 0 || (*end && *end != ','))
            return -22;
        s = *end ? end + 1 : end;
    }
    if (t.mem_min && t.mem_max && t.mem_min > t.mem_max)
        return -22;
    *o = t;
    return 0;
}

int parse_dom0_max_vcpus(const char *s, struct dom0_options *o)
{
    const char *end;
    unsigned long long lo = simple_strtoull(s, &end, 10), hi = lo;

    if (end == s)
        return -22;
    if (*end == '-') {
        s = end + 1;
        hi = *s ? simple_strtoull(s, &end, 10) : 0;   /* "<min>-" = no maximum */
        if (*s && end == s)
            return -22;
    }
    if (*end || !lo || (hi && hi < lo) || lo > 4096 || hi > 4096)
        return -22;
    o->max_vcpus_min = (unsigned int)lo;
    o->max_vcpus_max = (unsigned int)hi;
    return 0;
}

static int dom0_mem_param(const char *s)
{
    return parse_dom0_mem(s, &dom0_opts);
}
custom_param("dom0_mem", dom0_mem_param);

static int dom0_max_vcpus_param(const char *s)
{
    return parse_dom0_max_vcpus(s, &dom0_opts);
}
custom_param("dom0_max_vcpus", dom0_max_vcpus_param);

static int sched_param(const char *s)
{
    if (strcmp(s, "credit") && strcmp(s, "sedf"))
        return -22;
    strlcpy(dom0_opts.sched, s, sizeof(dom0_opts.sched));
    return 0;
}
custom_param("sched", sched_param);

void dom0_params_report(void)
{
    char vcpus[24] = "default";

    if (dom0_opts.max_vcpus_min)
        snprintf(vcpus, sizeof(vcpus), dom0_opts.max_vcpus_max == dom0_opts.max_vcpus_min ?
                 "%u" : "%u-%u", dom0_opts.max_vcpus_min, dom0_opts.max_vcpus_max);
    printk("Scheduler: %s; Dom0 memory: %lu MiB%s; Dom0 vCPUs: %s\n", dom0_opts.sched,
           (unsigned long)(dom0_opts.mem >> 20), dom0_opts.mem ? "" : " (default)", vcpus);
}
