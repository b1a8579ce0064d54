// The sock_diag reply parser: netlink bytes in, SocketRecords out. Pure, so the same code
// runs on the kernel's reply, on a saved `--dump-raw` file, and under the fuzzer.
#pragma once

#include <cstdint>
#include <span>

#include "core/socket/socket_record.hpp"
#include "core/text/error.hpp"

namespace kt {

// Receives each socket as it is decoded; no allocation per socket on this path.
class SocketSink {
public:
    virtual ~SocketSink() = default;
    virtual void on_socket(const SocketRecord& s) = 0;
};

struct DiagExpect {
    std::uint32_t seq = 0;     // checked when check_ids is set
    std::uint32_t portid = 0;  // 0 skips the portid check
    bool check_ids = false;    // a saved reply is parsed without checks
};

struct DiagProgress {
    bool done = false;         // NLMSG_DONE seen: the dump is complete
    bool interrupted = false;  // NLM_F_DUMP_INTR seen: the table changed under the dump
    std::uint64_t sockets = 0;
    std::uint64_t skipped_messages = 0;  // NOOP and other types that carry no socket
};

// Parses one chunk (one recv()) of a dump reply, a whole number of netlink messages.
// Errors: a truncated or malformed message, NLMSG_ERROR from the kernel (its errno in
// `why`), or a message from another request.
Result<void> parse_diag_chunk(std::span<const std::uint8_t> bytes, const DiagExpect& expect, SocketSink& sink,
                              DiagProgress& progress);

// True when `bytes` holds the last reply of a dump: NLMSG_DONE, or an NLMSG_ERROR that is not
// an ACK, or a malformed message (the parser will say what). Reads only the headers, so the
// receiving thread can stop without parsing.
bool chunk_ends_dump(std::span<const std::uint8_t> bytes);

// Errno carried by an NLMSG_ERROR, for callers that react to particular kernels' errors;
// 0 when `e` did not come from the kernel.
int kernel_errno_of(const Error& e);

}  // namespace kt
