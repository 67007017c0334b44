/*
 * xl.cfg's syntax as Xen's libxlu reads it (libxlu_cfg_l.l, libxlu_cfg_y.y, libxlu_cfg.c):
 * `key = value` or `key += value` ending at a newline or ';', values being quoted strings,
 * numbers (kept as text) or bracketed lists that may span lines and end with a comma,
 * '#' comments to the end of the line. A lexer and a recursive-descent parser of the same
 * grammar; the first error stops the parse, reported as libxlu reports it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/config.h"

/* Deeper nesting than any real config; bounds the parser's recursion. */
#define CFG_MAX_DEPTH 32

enum tok { T_EOF, T_IDENT, T_NUMBER, T_STRING, T_NEWLINE, T_EQ, T_ADD, T_SEMI, T_COMMA,
           T_OPEN, T_CLOSE };

static const char *const tok_names[] = {
    [T_EOF] = "end of file", [T_IDENT] = "IDENT", [T_NUMBER] = "NUMBER",
    [T_STRING] = "STRING", [T_NEWLINE] = "NEWLINE", [T_EQ] = "'='", [T_ADD] = "\"+=\"",
    [T_SEMI] = "';'", [T_COMMA] = "','", [T_OPEN] = "'['", [T_CLOSE] = "']'",
};

struct lexer {
    const char *source;
    const char *p, *end;
    int line;
    FILE *err;
    bool failed;
    /* The current token: kind, its text in the input, its line, an atom's value. */
    enum tok tok;
    const char *text;
    size_t text_len;
    int tok_line;
    char *atom;
};

/* Reports once, in libxlu's words; the parse stops at the first error. */
static void lex_error(struct lexer *lx, const char *text, size_t len, const char *msg)
{
    if (lx->failed)
        return;
    lx->failed = true;
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    if (len)
        fprintf(lx->err, "%s:%d: config parsing error near `%.*s': %s\n", lx->source,
                lx->tok_line, (int)len, text, msg);
    else
        fprintf(lx->err, "%s:%d: config parsing error near %s: %s\n", lx->source,
                lx->tok_line, lx->tok == T_NEWLINE ? "<newline>" : "end of file", msg);
}

static bool is_ident(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (!first && ((c >= '0' && c <= '9') || c == '.' || c == '_'));
}

/* One escape after the backslash at *pp (inside the quotes) into *out; false if bad. */
static bool dequote_escape(const char **pp, const char *end, char *out)
{
    static const char simple[] = "\"\"''\\\\a\ab\bf\fn\nr\rt\tv\v";
    const char *p = *pp;
    unsigned int v = 0, digits = 0;

    for (const char *s = simple; *s; s += 2)
        if (*p == s[0]) {
            *out = s[1];
            *pp = p + 1;
            return true;
        }
    if (*p == 'x') {
        for (p++; digits < 2 && p < end && strchr("0123456789abcdefABCDEF", *p) && *p; p++)
            v = v * 16 + (unsigned int)(*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10), digits++;
        if (digits != 2)
            return false;
    } else {
        for (; digits < 3 && p < end && *p >= '0' && *p <= '7'; p++)
            v = v * 8 + (unsigned int)(*p - '0'), digits++;
        if (!digits || v > 0xff)
            return false;
    }
    if (!v)
        return false;                   /* a NUL would cut the string short */
    *out = (char)v;
    *pp = p;
    return true;
}

/* The quoted string at lx->p (q is its quote); its closing quote must be on the line. */
static int lex_string(struct lexer *lx, char q)
{
    const char *p = lx->p + 1, *start = lx->p;
    char *o;

    while (p < lx->end && *p != q && *p != '\n') {
        if (*p == '\\' && p + 1 < lx->end && p[1] != '\n')
            p++;
        p++;
    }
    if (p >= lx->end || *p != q) {
        lex_error(lx, start, (size_t)(p - start), "lexical error");
        return -EINVAL;
    }
    lx->text = start;
    lx->text_len = (size_t)(p + 1 - start);
    lx->atom = o = malloc((size_t)(p - start));
    if (!o)
        return -ENOMEM;
    for (const char *s = start + 1; s < p;) {
        if (*s != '\\') {
            *o++ = *s++;
            continue;
        }
        s++;
        if (!dequote_escape(&s, p, o++)) {
            lex_error(lx, lx->text, lx->text_len,
                      "invalid character after backslash in quoted string");
            return -EINVAL;
        }
    }
    *o = '\0';
    lx->p = p + 1;
    lx->tok = T_STRING;
    return 0;
}

/* An identifier or a number ([0-9][0-9a-fx]*, checked later as strtol base 0 does). */
static int lex_word(struct lexer *lx, enum tok kind)
{
    const char *p = lx->p;

    while (p < lx->end && (kind == T_IDENT ? is_ident(*p, false)
                           : ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || *p == 'x')))
        p++;
    lx->text = lx->p;
    lx->text_len = (size_t)(p - lx->p);
    lx->atom = strndup(lx->p, lx->text_len);
    if (!lx->atom)
        return -ENOMEM;
    lx->p = p;
    lx->tok = kind;
    return 0;
}

static int lex_next(struct lexer *lx)
{
    static const char punct[] = "=;,[]";
    static const enum tok punct_tok[] = { T_EQ, T_SEMI, T_COMMA, T_OPEN, T_CLOSE };
    const char *bad;

    free(lx->atom);
    lx->atom = NULL;
    /* A CR before the newline is blank, so files written on Windows read the same. */
    while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r'))
        lx->p++;
    lx->tok_line = lx->line;
    lx->text = lx->p;
    lx->text_len = 1;
    if (lx->p < lx->end && *lx->p == '#')
        while (lx->p < lx->end && *lx->p != '\n')
            lx->p++;
    if (lx->p >= lx->end) {
        lx->tok = T_EOF;
        lx->text_len = 0;
        return 0;
    }
    if (*lx->p == '\n') {
        lx->p++;
        lx->line++;
        lx->tok = T_NEWLINE;
        lx->text_len = 0;
        return 0;
    }
    if (*lx->p == '"' || *lx->p == '\'')
        return lex_string(lx, *lx->p);
    if (is_ident(*lx->p, true))
        return lex_word(lx, T_IDENT);
    if (*lx->p >= '0' && *lx->p <= '9')
        return lex_word(lx, T_NUMBER);
    if (*lx->p == '+' && lx->p + 1 < lx->end && lx->p[1] == '=') {
        lx->p += 2;
        lx->tok = T_ADD;
        lx->text_len = 2;
        return 0;
    }
    if (*lx->p && strchr(punct, *lx->p)) {
        lx->tok = punct_tok[strchr(punct, *lx->p) - punct];
        lx->p++;
        return 0;
    }
    for (bad = lx->p; bad < lx->end && *bad != ' ' && *bad != '\t' && *bad != '\n'; bad++)
        ;
    lex_error(lx, lx->p, (size_t)(bad - lx->p), "lexical error");
    return -EINVAL;
}

static int syntax_error(struct lexer *lx, const char *expecting)
{
    char msg[128];

    snprintf(msg, sizeof(msg), "syntax error, unexpected %s%s%s", tok_names[lx->tok],
             expecting ? ", expecting " : "", expecting ? expecting : "");
    lex_error(lx, lx->text, lx->text_len, msg);
    return -EINVAL;
}

static void value_free(struct cfg_value *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n_items; i++)
        value_free(v->items[i]);
    free(v->items);
    free(v->str);
    free(v);
}

static int list_append(struct cfg_value *list, struct cfg_value *item)
{
    struct cfg_value **items;

    if (!(list->n_items & (list->n_items - 1)) || !list->n_items) {
        items = realloc(list->items, sizeof(*items) * (list->n_items ? list->n_items * 2 : 1));
        if (!items)
            return -ENOMEM;
        list->items = items;
    }
    list->items[list->n_items++] = item;
    return 0;
}

static int skip_newlines(struct lexer *lx)
{
    int rc = 0;

    while (!rc && lx->tok == T_NEWLINE)
        rc = lex_next(lx);
    return rc;
}

static int parse_value(struct lexer *lx, int depth, struct cfg_value **out);

/* After '[': values separated by commas, newlines anywhere, a trailing comma allowed. */
static int parse_list(struct lexer *lx, int depth, struct cfg_value *list)
{
    struct cfg_value *item;
    int rc;

    if ((rc = lex_next(lx)) || (rc = skip_newlines(lx)))
        return rc;
    while (lx->tok != T_CLOSE) {
        if ((rc = parse_value(lx, depth + 1, &item)))
            return rc;
        if ((rc = list_append(list, item))) {
            value_free(item);
            return rc;
        }
        if ((rc = skip_newlines(lx)))
            return rc;
        if (lx->tok == T_CLOSE)
            break;
        if (lx->tok != T_COMMA)
            return syntax_error(lx, "',' or ']'");
        if ((rc = lex_next(lx)) || (rc = skip_newlines(lx)))
            return rc;
    }
    return lex_next(lx);
}

static int parse_value(struct lexer *lx, int depth, struct cfg_value **out)
{
    struct cfg_value *v;
    int rc;

    if (lx->tok != T_STRING && lx->tok != T_NUMBER && lx->tok != T_OPEN)
        return syntax_error(lx, depth ? NULL : "STRING or NUMBER or '['");
    if (depth >= CFG_MAX_DEPTH) {
        lex_error(lx, lx->text, lx->text_len, "lists nested too deep");
        return -EINVAL;
    }
    v = calloc(1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    if (lx->tok == T_OPEN) {
        v->is_list = true;
        rc = parse_list(lx, depth, v);
    } else {
        v->str = lx->atom;
        lx->atom = NULL;
        rc = lex_next(lx);
    }
    if (rc) {
        value_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

static struct cfg_value *value_copy(const struct cfg_value *v)
{
    struct cfg_value *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->is_list = v->is_list;
    if (!v->is_list && !(c->str = strdup(v->str)))
        goto fail;
    for (size_t i = 0; i < v->n_items; i++) {
        struct cfg_value *item = value_copy(v->items[i]);

        if (!item || list_append(c, item)) {
            value_free(item);
            goto fail;
        }
    }
    return c;
fail:
    value_free(c);
    return NULL;
}

/* "+=" as libxlu: the earlier value of the key, then this one (strings or lists alike). */
static int concat_value(struct lexer *lx, const struct cfg_setting *prev, struct cfg_value **v)
{
    struct cfg_value *joined;
    char *s;

    if (prev->value->is_list != (*v)->is_list) {
        lex_error(lx, prev->name, strlen(prev->name),
                  "can't add [list] to \"string\" or vice versa");
        return -EINVAL;
    }
    if (!(*v)->is_list) {
        if (asprintf(&s, "%s%s", prev->value->str, (*v)->str) < 0)
            return -ENOMEM;
        free((*v)->str);
        (*v)->str = s;
        return 0;
    }
    if (!(joined = value_copy(prev->value)))
        return -ENOMEM;
    for (size_t i = 0; i < (*v)->n_items; i++) {
        if (list_append(joined, (*v)->items[i])) {
            value_free(joined);
            return -ENOMEM;
        }
        (*v)->items[i] = NULL;
    }
    value_free(*v);
    *v = joined;
    return 0;
}

/* One `key = value` (the current token is the key). */
static int parse_setting(struct lexer *lx, const struct cfg *c, struct cfg *out)
{
    struct cfg_setting *s = calloc(1, sizeof(*s));
    const struct cfg_setting *prev;
    int rc;

    if (!s)
        return -ENOMEM;
    s->name = lx->atom;
    lx->atom = NULL;
    s->source = lx->source;
    s->line = lx->tok_line;
    if ((rc = lex_next(lx)))
        goto fail;
    if (lx->tok != T_EQ && lx->tok != T_ADD) {
        rc = syntax_error(lx, "'=' or \"+=\"");
        goto fail;
    }
    s->append = lx->tok == T_ADD;
    if ((rc = lex_next(lx)) || (rc = parse_value(lx, 0, &s->value)))
        goto fail;
    prev = cfg_find(out, s->name);
    if (!prev)
        prev = cfg_find(c, s->name);
    if (s->append && prev && (rc = concat_value(lx, prev, &s->value)))
        goto fail;
    *out->tail = s;
    out->tail = &s->next;
    return 0;
fail:
    free(s->name);
    value_free(s->value);
    free(s);
    return rc;
}

void cfg_init(struct cfg *c)
{
    c->head = NULL;
    c->tail = &c->head;
}

void cfg_free(struct cfg *c)
{
    for (struct cfg_setting *s = c->head, *next; s; s = next) {
        next = s->next;
        free(s->name);
        value_free(s->value);
        free(s);
    }
    cfg_init(c);
}

const struct cfg_setting *cfg_find(const struct cfg *c, const char *name)
{
    const struct cfg_setting *found = NULL;

    for (const struct cfg_setting *s = c->head; s; s = s->next)
        if (!strcmp(s->name, name))
            found = s;
    return found;
}

int cfg_parse(struct cfg *c, const char *source, const char *data, size_t len, FILE *err)
{
    struct lexer lx = { .source = source, .p = data, .end = data + len, .line = 1, .err = err };
    struct cfg out;
    int rc;

    cfg_init(&out);
    rc = lex_next(&lx);
    while (!rc && lx.tok != T_EOF) {
        if (lx.tok == T_NEWLINE || lx.tok == T_SEMI) {
            rc = lex_next(&lx);
            continue;
        }
        if (lx.tok != T_IDENT) {
            rc = syntax_error(&lx, "IDENT");
            break;
        }
        rc = parse_setting(&lx, c, &out);
        if (!rc && lx.tok != T_NEWLINE && lx.tok != T_SEMI && lx.tok != T_EOF)
            rc = syntax_error(&lx, "NEWLINE or ';'");
    }
    free(lx.atom);
    if (rc) {
        cfg_free(&out);
        return rc;
    }
    if (out.head) {
        *c->tail = out.head;
        c->tail = out.tail;
    }
    return 0;
}
