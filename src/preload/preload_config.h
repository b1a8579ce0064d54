/* The settings `keepalive-tune exec` hands to the preload library in KEEPALIVE_TUNE_PRELOAD:
 *   "v1 keepalive=1 idle=240 interval=30 count=4 user_timeout=360000 roles=listener,upstream enforce=0"
 * Plain C with no allocation, so the library can parse it before main() and tests can run it. */
#ifndef KEEPALIVE_TUNE_PRELOAD_CONFIG_H
#define KEEPALIVE_TUNE_PRELOAD_CONFIG_H

#ifdef __cplusplus
extern "C" {
#endif

#define KT_PRELOAD_ENV "KEEPALIVE_TUNE_PRELOAD"
/* The value that makes the library do nothing, silently (set after one warning). */
#define KT_PRELOAD_OFF "off"
#define KT_ROLE_LISTENER 1u /* listen(): the listener, and the connections it accepts inherit */
#define KT_ROLE_UPSTREAM 2u /* connect(): outbound connections */

struct kt_preload_config {
    int keepalive;    /* SO_KEEPALIVE: 0 or 1 */
    int idle;         /* TCP_KEEPIDLE, 1..32767 s */
    int interval;     /* TCP_KEEPINTVL, 1..32767 s */
    int count;        /* TCP_KEEPCNT, 1..127 */
    int user_timeout; /* TCP_USER_TIMEOUT in ms, 0..2147483647; -1 leaves the socket's own */
    unsigned roles;   /* KT_ROLE_* */
    int enforce;      /* 1: the program's own keepalive setsockopt calls get the profile's values */
};

/* Parses `text` into `out`. Returns 0 on success, or a static string saying what is wrong.
 * Every key but user_timeout is required; unknown keys and out-of-range values are errors. */
const char* kt_preload_parse(const char* text, struct kt_preload_config* out);

#ifdef __cplusplus
}
#endif

#endif
