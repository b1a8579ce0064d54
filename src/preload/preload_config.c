#include "preload_config.h"

#include <string.h>

enum { HAVE_KEEPALIVE = 1, HAVE_IDLE = 2, HAVE_INTERVAL = 4, HAVE_COUNT = 8, HAVE_ROLES = 16, HAVE_ENFORCE = 32 };

/* A decimal in lo..hi spanning exactly [s, end); no sign, no overflow. */
static int parse_int(const char* s, const char* end, long lo, long hi, int* out) {
    long v = 0;
    if (s == end || end - s > 10) return 0;
    for (const char* p = s; p < end; ++p) {
        if (*p < '0' || *p > '9') return 0;
        v = v * 10 + (*p - '0');
    }
    if (v < lo || v > hi) return 0;
    *out = (int)v;
    return 1;
}

static int word_is(const char* s, const char* end, const char* word) {
    size_t n = strlen(word);
    return (size_t)(end - s) == n && memcmp(s, word, n) == 0;
}

static int parse_roles(const char* s, const char* end, unsigned* out) {
    *out = 0;
    while (s < end) {
        const char* comma = s;
        while (comma < end && *comma != ',') ++comma;
        if (word_is(s, comma, "listener"))
            *out |= KT_ROLE_LISTENER;
        else if (word_is(s, comma, "upstream"))
            *out |= KT_ROLE_UPSTREAM;
        else
            return 0;
        s = comma < end ? comma + 1 : end;
    }
    return *out != 0;
}

const char* kt_preload_parse(const char* text, struct kt_preload_config* out) {
    if (!text) return "not set";
    struct kt_preload_config c = {0, 0, 0, 0, -1, 0, 0};
    int have = 0;
    const char* p = text;
    while (*p == ' ') ++p;
    if (strncmp(p, "v1", 2) != 0 || (p[2] != ' ' && p[2] != '\0')) return "not version v1";
    p += 2;
    for (;;) {
        while (*p == ' ') ++p;
        if (*p == '\0') break;
        const char* end = p;
        while (*end && *end != ' ') ++end;
        const char* eq = memchr(p, '=', (size_t)(end - p));
        if (!eq) return "expected key=value";
        const char* v = eq + 1;
        if (word_is(p, eq, "keepalive")) {
            if (!parse_int(v, end, 0, 1, &c.keepalive)) return "keepalive must be 0 or 1";
            have |= HAVE_KEEPALIVE;
        } else if (word_is(p, eq, "idle")) {
            if (!parse_int(v, end, 1, 32767, &c.idle)) return "idle must be 1..32767";
            have |= HAVE_IDLE;
        } else if (word_is(p, eq, "interval")) {
            if (!parse_int(v, end, 1, 32767, &c.interval)) return "interval must be 1..32767";
            have |= HAVE_INTERVAL;
        } else if (word_is(p, eq, "count")) {
            if (!parse_int(v, end, 1, 127, &c.count)) return "count must be 1..127";
            have |= HAVE_COUNT;
        } else if (word_is(p, eq, "user_timeout")) {
            if (!parse_int(v, end, 0, 2147483647L, &c.user_timeout)) return "user_timeout must be 0..2147483647";
        } else if (word_is(p, eq, "roles")) {
            if (!parse_roles(v, end, &c.roles)) return "roles must be listener, upstream or both";
            have |= HAVE_ROLES;
        } else if (word_is(p, eq, "enforce")) {
            if (!parse_int(v, end, 0, 1, &c.enforce)) return "enforce must be 0 or 1";
            have |= HAVE_ENFORCE;
        } else {
            return "unknown key";
        }
        p = end;
    }
    if (have != (HAVE_KEEPALIVE | HAVE_IDLE | HAVE_INTERVAL | HAVE_COUNT | HAVE_ROLES | HAVE_ENFORCE))
        return "a required key is missing (keepalive, idle, interval, count, roles, enforce)";
    *out = c;
    return 0;
}
