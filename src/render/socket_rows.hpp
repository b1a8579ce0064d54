// Sockets as rows of the inspect table and as objects of its JSON document, streamed.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/keepalive_observed.hpp"
#include "core/socket_options.hpp"
#include "core/socket_record.hpp"
#include "core/socket_role.hpp"
#include "render/chunk_writer.hpp"

namespace kt::render {

struct SocketOwnerView {
    std::int32_t pid = 0;
    std::int32_t fd = 0;
    std::string_view comm;
};

// Everything a row shows about one socket; pointers are null when not asked for or unknown.
struct SocketRow {
    const SocketRecord* record = nullptr;
    SocketRole role = SocketRole::upstream;
    KeepaliveObserved keepalive = KeepaliveObserved::off;
    const SocketOwnerView* owner = nullptr;  // -p
    const SocketOptions* exact = nullptr;    // --exact, when it could be read
    std::string_view exact_error;            // --exact, why it could not be read
    std::string_view netns;                  // --all-netns / --netns label
};

struct TableColumns {
    bool netns = false;
    bool processes = false;
    bool exact = false;
};

class SocketTable {
public:
    SocketTable(ChunkWriter& out, TableColumns columns) : m_out(out), m_columns(columns) {}
    void header();
    void row(const SocketRow& r);

private:
    ChunkWriter& m_out;
    TableColumns m_columns;
};

// One socket object of the "sockets" array (no separator; the caller writes commas).
void socket_json(ChunkWriter& out, const SocketRow& r, bool with_owner, bool with_exact);

}  // namespace kt::render
