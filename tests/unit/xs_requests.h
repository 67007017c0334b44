/*
 * One request to xenstored over xs_fake.h's memory transport and its answer, for the host
 * tests: watch events that arrive in between are counted in nevents and the first 64 kept
 * in events[] (the last one's body also in last_event).
 */
#ifndef XS_REQUESTS_H
#define XS_REQUESTS_H

#include "xs_fake.h"

struct answer {
    uint32_t type;
    uint32_t len;
    char body[XENSTORE_PAYLOAD_MAX + 1];
};

static uint32_t next_id = 1;
static struct answer events[64];
static int nevents;
static char last_event[XENSTORE_PAYLOAD_MAX + 1];

/* Takes the first message out of f's output (events included). */
static bool pop_msg(struct fake *f, struct answer *a)
{
    struct xsd_sockmsg h;

    if (f->out_len < sizeof(h))
        return false;
    memcpy(&h, f->out, sizeof(h));
    a->type = h.type;
    a->len = h.len;
    memcpy(a->body, f->out + sizeof(h), h.len);
    a->body[h.len] = '\0';
    memmove(f->out, f->out + sizeof(h) + h.len, f->out_len - sizeof(h) - h.len);
    f->out_len -= sizeof(h) + h.len;
    return true;
}

/* The next message that is not a watch event; the events before it are kept. */
static bool pop_answer(struct fake *f, struct answer *a)
{
    while (pop_msg(f, a)) {
        if (a->type != XS_WATCH_EVENT)
            return true;
        if (nevents < 64)
            events[nevents] = *a;
        nevents++;
        memcpy(last_event, a->body, a->len + 1);
    }
    a->type = 0xFFFF;
    return false;
}

static struct answer req(struct fake *f, uint32_t type, uint32_t tx, const char *p, size_t len)
{
    char buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
    struct xsd_sockmsg h = { .type = type, .req_id = next_id++, .tx_id = tx,
                             .len = (uint32_t)len };
    struct answer a;

    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), p, len);
    fake_feed(f, buf, sizeof(h) + len);
    pop_answer(f, &a);
    return a;
}

/* A request of NUL-terminated strings given as one literal with embedded \0s. */
#define REQ(f, type, tx, lit) req(f, type, tx, lit, sizeof(lit))

static bool ERR_IS(struct answer a, const char *name)
{
    return a.type == XS_ERROR && !strcmp(a.body, name);
}

static struct answer wr(struct fake *f, uint32_t tx, const char *path, const char *val)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t pl = strlen(path) + 1, vl = strlen(val);

    memcpy(buf, path, pl);
    memcpy(buf + pl, val, vl);
    return req(f, XS_WRITE, tx, buf, pl + vl);
}

static struct answer rd(struct fake *f, uint32_t tx, const char *path)
{
    return req(f, XS_READ, tx, path, strlen(path) + 1);
}

#endif
