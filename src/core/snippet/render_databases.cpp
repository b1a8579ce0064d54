// PostgreSQL (server and libpq) and Redis.
#include "core/snippet/render_family.hpp"

#include <algorithm>

namespace kt::render_family {

namespace {
// "name = value", then the unit as a comment in one column.
std::string conf_line(std::string_view name, std::uint64_t value, std::string_view unit) {
    std::string line = std::string(name) + " = " + num(value);
    if (unit.empty()) return line + "\n";
    line.resize(std::max<std::size_t>(line.size() + 1, 32), ' ');
    return line + "# " + std::string(unit) + "\n";
}
}  // namespace

Rendering postgresql(const Profile& p, const RenderOptions&) {
    Snippet s;
    s.title = "the server's client connections";
    s.where = "postgresql.conf (or ALTER SYSTEM SET), then a reload";
    s.syntax = "postgresql";
    if (!p.keepalive.enabled) {
        s.body = "# PostgreSQL turns keepalive on for every TCP connection; leave tcp_keepalives_* unset\n";
        s.caveats.push_back({CaveatKind::cannot_express,
                             "keepalive off: PostgreSQL sets SO_KEEPALIVE on every TCP connection it accepts."});
    } else {
        s.body = conf_line("tcp_keepalives_idle", p.keepalive.idle_seconds, "seconds") +
                 conf_line("tcp_keepalives_interval", p.keepalive.interval_seconds, "seconds") +
                 conf_line("tcp_keepalives_count", p.keepalive.count, "");
    }
    if (p.user_timeout_ms) s.body += conf_line("tcp_user_timeout", *p.user_timeout_ms, "milliseconds");
    s.caveats.push_back({CaveatKind::scope,
                         "a 0 in these parameters means the OS value (the network namespace's "
                         "sysctl; for tcp_user_timeout, none), not a keepalive turned off."});
    s.caveats.push_back({CaveatKind::scope, "TCP connections only: Unix-domain socket connections ignore them."});
    if (p.user_timeout_ms) s.caveats.push_back({CaveatKind::version, "tcp_user_timeout needs PostgreSQL 12."});
    Rendering r;
    r.snippets.push_back(std::move(s));
    auto v = profile_values(p, Side::downstream, true);
    if (!p.keepalive.enabled) v.keepalive = true;  // off cannot be had; the OS values apply
    r.effective.push_back(v);
    return r;
}

Rendering libpq(const Profile& p, const RenderOptions&) {
    std::string params = "keepalives=" + std::string(p.keepalive.enabled ? "1" : "0") + "\n";
    if (p.keepalive.enabled)
        params += "keepalives_idle=" + num(p.keepalive.idle_seconds) +
                  "\nkeepalives_interval=" + num(p.keepalive.interval_seconds) +
                  "\nkeepalives_count=" + num(p.keepalive.count) + "\n";
    if (p.user_timeout_ms) params += "tcp_user_timeout=" + num(*p.user_timeout_ms) + "\n";
    std::string conninfo = "host=db";
    for (std::size_t start = 0; start < params.size();) {
        const auto end = params.find('\n', start);
        conninfo += " " + params.substr(start, end - start);
        start = end + 1;
    }

    Snippet s;
    s.title = "a pg_service.conf entry (client connections)";
    s.where = "~/.pg_service.conf or the file PGSERVICEFILE names; connect with service=db";
    s.syntax = "pg_service";
    s.body = "[db]\nhost=db\n" + params;
    s.caveats.push_back({CaveatKind::scope, "the same parameters in a connection string: " + conninfo +
                                                " (keepalives_idle and keepalives_interval are seconds, "
                                                "tcp_user_timeout ms)."});
    s.caveats.push_back({CaveatKind::scope,
                         "keepalives=0 turns keepalive off (1 is the default); a 0 in the "
                         "other parameters means the OS value (the network namespace's sysctl; "
                         "for tcp_user_timeout, none), not off."});
    if (p.user_timeout_ms) s.caveats.push_back({CaveatKind::version, "tcp_user_timeout needs libpq 12."});
    Rendering r;
    r.snippets.push_back(std::move(s));
    r.effective.push_back(profile_values(p, Side::upstream, true));
    return r;
}

Rendering redis(const Profile& p, const RenderOptions&) {
    const std::uint32_t n = p.keepalive.enabled ? p.keepalive.idle_seconds : 0;
    const std::uint32_t interval = std::max<std::uint32_t>(1, n / 3);
    Snippet s;
    s.title = "the server's client connections";
    s.where = "redis.conf (or CONFIG SET tcp-keepalive " + num(n) + ")";
    s.syntax = "redis";
    s.body = "tcp-keepalive " + num(n) + "\n";
    if (p.keepalive.enabled) {
        const std::uint64_t found = n + std::uint64_t(interval) * 3;
        const std::uint64_t wanted =
            p.keepalive.idle_seconds + std::uint64_t(p.keepalive.interval_seconds) * p.keepalive.count;
        s.caveats.push_back({CaveatKind::approximation,
                             "Redis derives interval and count from its one number N (the idle time): interval N/3 "
                             "(at least 1) = " +
                                 num(interval) + " s and count 3, fixed, where the profile has " +
                                 num(p.keepalive.interval_seconds) + " s and " + num(p.keepalive.count) +
                                 "; an idle dead client is found after " + num(found) + " s instead of the profile's " +
                                 num(wanted) + " s (idle + interval x count)."});
    } else {
        s.caveats.push_back({CaveatKind::scope,
                             "tcp-keepalive 0 turns keepalive off (the default since Redis 3.2.1 "
                             "is 300)."});
    }
    if (auto c = no_user_timeout(p, "Redis has no setting for it")) s.caveats.push_back(*c);
    s.caveats.push_back({CaveatKind::scope,
                         "the server's side only: the connections clients make to Redis; "
                         "clients set keepalive on their side themselves."});
    Rendering r;
    r.snippets.push_back(std::move(s));
    EffectiveValues v;
    v.side = Side::downstream;
    v.keepalive = p.keepalive.enabled;
    if (p.keepalive.enabled) {
        v.idle_seconds = n;
        v.interval_seconds = interval;
        v.count = 3;
    }
    r.effective.push_back(v);
    return r;
}

}  // namespace kt::render_family
