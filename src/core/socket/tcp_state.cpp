#include "core/socket/tcp_state.hpp"

#include <array>
#include <string>

#include "core/text/nearest.hpp"
#include "core/text/word_list.hpp"

namespace kt {

namespace {
constexpr std::array<std::string_view, k_tcp_state_max + 1> k_names = {
    "unknown",  "established", "syn-sent", "syn-recv",  "fin-wait-1", "fin-wait-2", "time-wait",
    "closed",   "close-wait",  "last-ack", "listening", "closing",    "syn-recv"};

// ss(8)'s state groups, from misc/ss.c: SS_CONN excludes listening, closed, time-wait and
// syn-recv ("connected" in ss also excludes closed and listening only).
constexpr StateMask k_connected = k_all_states & ~(state_bit(TcpState::listen) | state_bit(TcpState::close));
constexpr StateMask k_synchronized = k_connected & ~state_bit(TcpState::syn_sent);
constexpr StateMask k_bucket = state_bit(TcpState::syn_recv) | state_bit(TcpState::time_wait) |
                               state_bit(TcpState::new_syn_recv);
constexpr StateMask k_big = k_all_states & ~k_bucket;

struct NamedMask {
    std::string_view name;
    StateMask mask;
};
constexpr std::array<NamedMask, 18> k_words = {{
    {"established", state_bit(TcpState::established)},
    {"syn-sent", state_bit(TcpState::syn_sent)},
    {"syn-recv", state_bit(TcpState::syn_recv) | state_bit(TcpState::new_syn_recv)},
    {"fin-wait-1", state_bit(TcpState::fin_wait1)},
    {"fin-wait-2", state_bit(TcpState::fin_wait2)},
    {"time-wait", state_bit(TcpState::time_wait)},
    {"closed", state_bit(TcpState::close)},
    {"close-wait", state_bit(TcpState::close_wait)},
    {"last-ack", state_bit(TcpState::last_ack)},
    {"listening", state_bit(TcpState::listen)},
    {"listen", state_bit(TcpState::listen)},
    {"closing", state_bit(TcpState::closing)},
    {"all", k_all_states},
    {"connected", k_connected},
    {"synchronized", k_synchronized},
    {"bucket", k_bucket},
    {"big", k_big},
    {"syn-received", state_bit(TcpState::syn_recv) | state_bit(TcpState::new_syn_recv)},
}};
}  // namespace

std::string_view tcp_state_name(std::uint8_t state) {
    return state <= k_tcp_state_max ? k_names[state] : k_names[0];
}

std::optional<std::uint8_t> tcp_state_from_name(std::string_view name) {
    for (std::uint8_t s = 1; s <= k_tcp_state_max; ++s)
        if (k_names[s] == name) return s;
    return std::nullopt;
}

Result<StateMask> parse_state_list(std::string_view list) {
    StateMask mask = 0;
    for (const auto word : split_words(list)) {
        bool found = false;
        for (const auto& w : k_words) {
            if (w.name == word) {
                mask |= w.mask;
                found = true;
            }
        }
        if (!found) {
            std::array<std::string_view, k_words.size()> names{};
            for (std::size_t i = 0; i < k_words.size(); ++i) names[i] = k_words[i].name;
            return fail("--state " + std::string(word), "unknown state" + did_you_mean(word, names) +
                                                            "; use ss(8) names such as established, "
                                                            "time-wait, listening, or all, connected");
        }
    }
    if (mask == 0) return fail("--state", "give at least one state");
    return mask;
}

}  // namespace kt
