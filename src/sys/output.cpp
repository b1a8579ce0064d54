#include "sys/output.hpp"

#include <cstdio>

namespace kt {

void write_out(std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); }

void write_json(const nlohmann::json& doc) {
    // Invalid UTF-8 (a process name, say) is replaced rather than thrown on.
    write_out(doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    write_out("\n");
}

void write_progress(std::string_view text) {
    std::fflush(stdout);
    std::fprintf(stderr, "keepalive-tune: %.*s\n", static_cast<int>(text.size()), text.data());
}

void write_warning(std::string_view text) {
    std::fflush(stdout);
    std::fprintf(stderr, "keepalive-tune: warning: %.*s\n", static_cast<int>(text.size()), text.data());
}

void write_error(const Error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "keepalive-tune: error: %s\n", e.line().c_str());
}

}  // namespace kt
