// Where each socket of an inspect dump goes: classified, filtered, then written as a table
// row or JSON object, or counted for --summary.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "core/socket/diag_parse.hpp"
#include "core/socket/inspect_query.hpp"
#include "core/socket/inspect_summary.hpp"
#include "core/socket/kernel_socket_index.hpp"
#include "core/socket/socket_role.hpp"
#include "render/chunk_writer.hpp"
#include "render/socket_rows.hpp"
#include "sys/socket_owners.hpp"

namespace kt::engine {

enum class InspectOutput { table, json, summary };

struct InspectSinkConfig {
    const InspectQuery* query = nullptr;
    InspectOutput output = InspectOutput::table;
    const sys::SocketOwnerIndex* owners = nullptr;  // -p, --pid, --comm, --exact
    bool only_owned = false;                        // --pid/--comm: drop sockets of other processes
    bool show_owners = false;
    bool exact = false;
    bool idle = false;  // --idle columns / JSON object
    // A replayed dump was filtered by whoever saved it: apply states, family and the
    // kernel filter here too.
    bool filter_in_user_space = false;
    render::ChunkWriter* out = nullptr;
    render::SocketTable* table = nullptr;
    // --exact through the BPF engine: every socket of the current netns by cookie (set with
    // set_kernel_exact per netns); null for the pidfd engine, which reads the owners' copies.
    const ExactValues* kernel_exact = nullptr;
};

// Failures to read exact values, summed up in one warning at the end.
struct ExactReport {
    std::uint64_t read = 0;
    std::uint64_t failed = 0;
    std::string first_reason;
};

class InspectSink : public SocketSink {
public:
    explicit InspectSink(const InspectSinkConfig& config) : m_config(config) {}

    // Each netns starts with its own listeners and counts.
    void begin_netns(std::string label, bool listeners_known);
    ListenerIndex& listeners() { return m_listeners; }
    void set_kernel_exact(const ExactValues* values) {
        m_config.kernel_exact = values;
    }
    void on_socket(const SocketRecord& s) override;

    const InspectSummary& summary() const { return m_summary; }
    void reset_summary() { m_summary = {}; }
    const ExactReport& exact_report() const { return m_exact; }
    std::uint64_t rows() const { return m_rows; }
    // Rows with a file (an inode) that no scanned process holds: their owner is hidden.
    std::uint64_t unowned() const { return m_unowned; }

private:
    InspectSinkConfig m_config;
    ListenerIndex m_listeners;
    bool m_listeners_known = false;
    std::string m_netns;
    InspectSummary m_summary;
    ExactReport m_exact;
    std::uint64_t m_rows = 0;
    std::uint64_t m_unowned = 0;
};

// Feeds only listeners to an index (the listener pass).
class ListenerSink : public SocketSink {
public:
    explicit ListenerSink(ListenerIndex& index) : m_index(index) {}
    void on_socket(const SocketRecord& s) override { m_index.add(s); }

private:
    ListenerIndex& m_index;
};

// The records of a dump, kept while the BPF iterator reads the same sockets on another thread.
// In chunks, so a growing dump is never copied.
class RecordBuffer : public SocketSink {
public:
    bool interrupted = false;
    void on_socket(const SocketRecord& s) override {
        if (m_chunks.empty() || m_chunks.back().size() == k_chunk) m_chunks.emplace_back().reserve(k_chunk);
        m_chunks.back().push_back(s);
    }
    void replay(SocketSink& to) const {
        for (const auto& chunk : m_chunks)
            for (const auto& s : chunk) to.on_socket(s);
    }
    void clear() { m_chunks.clear(); }

private:
    static constexpr std::size_t k_chunk = 8192;
    std::vector<std::vector<SocketRecord>> m_chunks;
};

// Between a dump and a BPF pass on another thread: the dump's records are kept until the pass
// has the values, then handed to the sink in order, and from then on each as it comes, so the
// table is written while the dump goes on instead of after it. `begin` runs once, on the
// dump's thread, before the first record reaches the sink.
class ExactHandover : public SocketSink {
public:
    ExactHandover(SocketSink& to, std::function<void()> begin) : m_to(to), m_begin(std::move(begin)) {}

    // From the pass's thread, once the sink's values are in place.
    void values_ready() { m_ready.store(true, std::memory_order_release); }

    void on_socket(const SocketRecord& s) override {
        if (!m_streaming && m_ready.load(std::memory_order_acquire)) hand_over();
        if (m_streaming) m_to.on_socket(s);
        else m_kept.on_socket(s);
    }
    // After the dump and the pass: what is still kept goes to the sink.
    void finish() {
        if (!m_streaming) hand_over();
    }

private:
    void hand_over() {
        m_begin();
        m_kept.replay(m_to);
        m_kept.clear();
        m_streaming = true;
    }
    SocketSink& m_to;
    std::function<void()> m_begin;
    RecordBuffer m_kept;
    std::atomic<bool> m_ready{false};
    bool m_streaming = false;
};

}  // namespace kt::engine
