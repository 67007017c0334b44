/*
 * xl list -l (xl_info.c list_domains_details): a JSON array with one map per domain,
 * its "domid" and its "config" in libxl_domain_config's shape, from what the running
 * domain says of itself (libs/toolstack retrieve.c), printed by the same generator as
 * `xl create -n` and nested as yajl nests it.
 */
#include <stdlib.h>
#include <string.h>

#include "toolstack/config.h"
#include "xl.h"

/* cfg's JSON, each line after the first indented by depth levels of yajl's 4 spaces. */
static void print_nested(const struct ts_domain_config *cfg, int depth)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (!f)
        return;
    ts_config_print_json(cfg, f);
    fclose(f);
    while (len && text[len - 1] == '\n')
        text[--len] = '\0';
    for (char *line = text, *nl; line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        /* An empty line (yajl's empty map) stays empty: yajl indents only what it prints. */
        fprintf(xl_out, "%*s%s%s", line == text || !*line ? 0 : depth * 4, "", line,
                nl ? "\n" : "");
    }
    free(text);
}

void xl_list_long(const xen_domctl_getdomaininfo_t *info, int n)
{
    bool first = true;

    fprintf(xl_out, "[\n");
    for (int i = 0; i < n; i++) {
        struct ts_domain_config cfg;

        if (ts_domain_retrieve(info[i].domain, &cfg))
            continue;                   /* gone meanwhile: Xen's xl skips it too */
        fprintf(xl_out, "%s    {\n        \"domid\": %u,\n        \"config\": ",
                first ? "" : ",\n", info[i].domain);
        print_nested(&cfg, 2);
        fprintf(xl_out, "\n    }");
        first = false;
        ts_config_free(&cfg);
    }
    fprintf(xl_out, "%s]\n\n", first ? "" : "\n");
}
