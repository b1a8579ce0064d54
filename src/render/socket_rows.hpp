// Sockets as rows of the inspect table and as objects of its JSON document, streamed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/socket/keepalive_observed.hpp"
#include "core/socket/socket_options.hpp"
#include "core/socket/socket_record.hpp"
#include "core/socket/socket_role.hpp"
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
    // --exact through the BPF engine: which values the socket only inherits from the netns
    // sysctls (k_inherited_* bits); the pidfd engine cannot tell.
    bool inheritance_known = false;
    std::uint8_t inherited = 0;
};

inline constexpr std::uint8_t k_inherited_idle = 1;
inline constexpr std::uint8_t k_inherited_interval = 2;
inline constexpr std::uint8_t k_inherited_count = 4;

struct TableColumns {
    bool netns = false;
    bool processes = false;
    bool exact = false;
    bool idle = false;  // --idle: tcp_info's idle times, unacknowledged and retransmitted segments
};

// The table is streamed, but its first k_settle_rows rows are held back so the LOCAL and PEER
// columns can be as wide as the widest address among them (IPv6 and v4-mapped addresses are
// wider than the IPv4 default); later rows keep those widths. finish() releases what is held,
// and explains the '*' of inherited values when a row showed one.
class SocketTable {
public:
    static constexpr std::size_t k_settle_rows = 4096;

    SocketTable(ChunkWriter& out, TableColumns columns) : m_out(out), m_columns(columns) {}
    void header();
    void row(const SocketRow& r);
    void finish();

private:
    // A copy of a held row: a SocketRow points into buffers that the next message reuses.
    struct HeldRow {
        SocketRecord record;
        SocketRole role;
        KeepaliveObserved keepalive;
        bool has_owner;
        SocketOwnerView owner;
        std::string comm;
        bool has_exact;
        SocketOptions exact;
        bool inheritance_known;
        std::uint8_t inherited;
        std::string netns;
    };
    void write_header();
    void write_row(const SocketRow& r);
    void settle();

    ChunkWriter& m_out;
    TableColumns m_columns;
    bool m_header = false;
    bool m_settled = false;
    std::size_t m_local_width = 23;  // fits IPv4 "255.255.255.255:65535"
    std::size_t m_peer_width = 23;
    std::vector<HeldRow> m_held;
    bool m_showed_inherited = false;  // a '*' was written: finish() explains it
};

// One socket object of the "sockets" array (no separator; the caller writes commas).
void socket_json(ChunkWriter& out, const SocketRow& r, bool with_owner, bool with_exact, bool with_idle = false);

}  // namespace kt::render
