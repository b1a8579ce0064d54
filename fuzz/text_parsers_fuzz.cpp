// libFuzzer target: every text parser of outside input but the sock_diag reply and --paths
// (they have their own). The first byte chooses the parser, the rest is its input, so one
// target and one corpus cover them all: profiles (and every renderer of `profile render` on the
// ones that parse), the check config and state files, undo files, /proc and sysctl text, the
// preload setting, shebang lines, durations, the flags of `profile render`, the BPF
// iterators' records, the nginx and HAProxy configurations of `audit` (with every rule and the
// listeners they declare), and a proxy's command line as audit --pid reads it.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/audit/audit.hpp"
#include "core/change/preload_setting.hpp"
#include "core/change/program_facts.hpp"
#include "core/change/undo_record.hpp"
#include "core/config/declared_listeners.hpp"
#include "core/config/proxy_launch.hpp"
#include "core/config/agent_policy.hpp"
#include "core/profile/catalogue.hpp"
#include "core/socket/container_identity.hpp"
#include "core/profile/profile.hpp"
#include "core/snippet/render_target.hpp"
#include "core/socket/kernel_socket.hpp"
#include "core/socket/proc_net.hpp"
#include "core/text/duration.hpp"
#include "core/text/number_parse.hpp"
#include "core/timewait/check_policy.hpp"
#include "core/timewait/check_state.hpp"
#include "core/trace/connection_end.hpp"

#include "preload/preload_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    switch (data[0] % 14) {
        case 0:
            if (auto p = kt::parse_profile(text, "fuzz.json", kt::middlebox_catalogue()))
                for (const auto& target : kt::render_targets())
                    if (auto r = kt::render_profile(*p, target.name, {}))
                        for (const auto& snippet : r->snippets) (void)kt::snippet_text(*p, target.name, snippet);
            break;
        case 1:
            (void)kt::parse_check_config(text, "fuzz.json", kt::CheckThresholds{});
            break;
        case 2:
            if (auto s = kt::parse_check_state(text, "state.json")) (void)kt::check_state_text(*s);
            break;
        case 3:
            if (auto u = kt::undo_from_json(text, "undo.json")) (void)kt::undo_to_json(*u);
            break;
        case 4:
            (void)kt::sockstat_time_wait(text);
            (void)kt::tcp_ext_counters(text);
            break;
        case 5:
            (void)kt::local_port_range(text);
            (void)kt::sysctl_integer(text);
            break;
        case 6: {
            const std::string copy(text);  // the C parser wants a terminated string
            kt_preload_config config;
            (void)kt_preload_parse(copy.c_str(), &config);
            break;
        }
        case 7:
            (void)kt::parse_shebang(text);
            (void)kt::parse_preload_roles(text);
            break;
        case 8:
            (void)kt::parse_duration_ms(text);
            (void)kt::parse_whole_number(text, 0, 4294967295u);
            (void)kt::parse_decimal(text, 0, 100);
            (void)kt::parse_envoy_version(text);
            (void)kt::parse_side(text);
            break;
        case 9:
            (void)kt::parse_check_config(text, "fuzz.json", kt::CheckThresholds{});
            (void)kt::parse_profile(text, "fuzz.json", kt::middlebox_catalogue());
            // The BPF socket iterator's records, and the exact values made of them.
            (void)kt::parse_socket_files({data + 1, size - 1});
            if (auto options = kt::parse_socket_options_records({data + 1, size - 1}))
                for (const auto& k : *options) (void)kt::exact_options(k, 100, kt::KeepaliveDefaults{});
            if (auto applied = kt::parse_applied_sockets({data + 1, size - 1}))
                for (const auto& k : *applied) (void)kt::exact_options(k, 250, kt::KeepaliveDefaults{});
            if (auto planned = kt::parse_planned_sockets({data + 1, size - 1}))
                for (const auto& k : *planned) (void)kt::exact_options_of(k.after, 250, kt::KeepaliveDefaults{});
            if (auto sockets = kt::parse_kernel_sockets({data + 1, size - 1}))
                for (const auto& k : *sockets) {
                    (void)kt::exact_options(k, 250, kt::KeepaliveDefaults{});
                    (void)kt::in_accept_queue(k);
                    (void)kt::tcp_info_of(k, 250);
                    (void)kt::socket_record_of(k, 250);
                }
            // The trace program's records, judged as trace judges them.
            if (auto end = kt::parse_connection_end({data + 1, size - 1})) {
                (void)kt::judge_end(*end, 250, kt::middlebox_catalogue());
                (void)kt::reset_reason_name(*end, std::vector<std::string>{"NOT_SPECIFIED", "NO_SOCKET"});
            }
            break;
        case 10: {
            // Includes resolve to one small file for a glob, and fail otherwise.
            const kt::IncludeResolver resolve = [](std::string_view pattern, std::string_view)
                -> kt::Result<std::vector<kt::ConfigFile>> {
                if (pattern.find('*') == std::string_view::npos) return kt::fail(std::string(pattern), "no such file");
                return std::vector<kt::ConfigFile>{{"inc.conf", "server { listen 80 so_keepalive=1:2:3; }"}};
            };
            (void)kt::guess_config_type(text);
            if (auto c = kt::parse_nginx_config(text, "fuzz.conf", resolve)) {
                kt::AuditContext context;
                context.path = {{"aws-alb", 60000, false}, {"aws-nlb-tcp", 350000, true}};
                (void)kt::audit_nginx(*c, context);
                (void)kt::nginx_declared_listeners(*c);
            }
            break;
        }
        case 11:
            if (auto c = kt::parse_haproxy_config(text, "fuzz.cfg")) {
                kt::AuditContext context;
                context.path = {{"aws-alb", 60000, false}, {"aws-nlb-tcp", 350000, true}};
                (void)kt::audit_haproxy(*c, "fuzz.cfg", context);
                (void)kt::haproxy_declared_listeners(*c);
            }
            break;
        case 12: {
            // A process's /proc/PID/cmdline (NUL-separated) and comm, as audit --pid reads them.
            std::vector<std::string> argv(1);
            for (char c : text) {
                if (c == '\0')
                    argv.emplace_back();
                else
                    argv.back() += c;
            }
            (void)kt::proxy_kind_of(argv.front(), argv.back());
            for (auto kind : {kt::ProxyKind::nginx, kt::ProxyKind::haproxy, kt::ProxyKind::envoy})
                (void)kt::parse_proxy_launch(kind, argv, "/srv");
            break;
        }
        case 13: {
            // The agent's policy (YAML or JSON), and the rules matched against a cgroup whose
            // path, pod and container come from the first lines of the same text.
            if (auto p = kt::parse_agent_policy(text, "fuzz.yaml")) {
                kt::CgroupFacts facts{std::string(text.substr(0, text.find('\n'))), "ns/pod-1", "app"};
                for (const auto& rule : p->rules) (void)kt::rule_matches(rule, facts);
            }
            (void)kt::parse_container_log_name(text);
            for (std::size_t cut = 0; cut < text.size() && cut < 64; cut += 7)
                (void)kt::glob_matches(text.substr(0, cut), text.substr(cut));
            break;
        }
    }
    return 0;
}
