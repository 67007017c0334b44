/*
 * libFuzzer target for the xl.cfg parser (libs/toolstack/config*.c): the input is a config
 * file, NUL bytes separating command-line overrides after it. Any input either loads or is
 * refused with -EINVAL (never a crash or a leak); one that loads keeps the invariants the
 * builder relies on, and its dry-run JSON has balanced brackets and ends in a newline.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../dom0-tools/libs/toolstack/cpulist.c"
#include "../../dom0-tools/libs/toolstack/config_parse.c"
#include "../../dom0-tools/libs/toolstack/config.c"
#include "../../dom0-tools/libs/toolstack/config_dev.c"
#include "../../dom0-tools/libs/toolstack/config_json.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_json(const struct ts_domain_config *cfg)
{
    char *json = NULL;
    size_t len = 0;
    long depth = 0;
    bool in_string = false;
    FILE *f = open_memstream(&json, &len);

    if (!f)
        return;
    ts_config_print_json(cfg, f);
    fclose(f);
    for (size_t i = 0; i < len; i++) {
        if (in_string && json[i] == '\\')
            i++;
        else if (json[i] == '"')
            in_string = !in_string;
        else if (!in_string && (json[i] == '{' || json[i] == '['))
            depth++;
        else if (!in_string && (json[i] == '}' || json[i] == ']') && --depth < 0)
            abort();
    }
    if (depth || in_string || !len || json[len - 1] != '\n')
        abort();
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *overrides[8];
    struct ts_config_opts o = { .source = "fuzz.cfg", .nr_cpus = 4 };
    struct ts_domain_config cfg;
    FILE *devnull = fopen("/dev/null", "w");
    size_t first;
    int rc;

    if (!text || !devnull)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    first = strlen(text);
    for (size_t i = first; i < size && o.n_overrides < 8; i += strlen(text + i) + 1)
        if (i + 1 <= size)
            overrides[o.n_overrides++] = text + i + 1;
    o.data = text;
    o.len = first;
    o.overrides = overrides;
    o.err = devnull;
    rc = ts_config_load(&o, &cfg);
    if (rc == 0) {
        if (!cfg.name || cfg.max_vcpus < cfg.vcpus || cfg.vcpus > TS_MAX_VCPUS ||
            cfg.n_hard_affinity > (cfg.max_vcpus ? cfg.max_vcpus : 1) ||
            cfg.max_memkb < cfg.target_memkb)
            abort();
        for (unsigned int i = 0; i < cfg.n_hard_affinity; i++)
            if (cfg.hard_affinity[i] >> 4)
                abort();                /* a CPU the host does not have */
        for (unsigned int i = 0; i < cfg.n_disks; i++)
            if (!cfg.disks[i].vdev)
                abort();
        check_json(&cfg);
        ts_config_free(&cfg);
    } else if (rc != -EINVAL && rc != -ENOMEM) {
        abort();
    }
    fclose(devnull);
    free(text);
    return 0;
}
