// A path with a middlebox that forgets idle flows, built from three network namespaces:
// client (10.231.1.2) -- veth -- middlebox (NAT, short conntrack established timeout) -- veth
// -- server (10.231.2.2). After `idle_timeout_s` without a packet, the middlebox forgets a
// flow and treats its next segment as invalid: it drops it (a black hole) or answers with a
// reset, as NAT gateways and load balancers do. Everything is removed on destruction.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <string>

#include "support/netns.hpp"

namespace kt::test {

// The lab's middlebox is built with nft; tests that use it skip without it.
#define KT_REQUIRE_NFT() \
    if (access("/usr/sbin/nft", X_OK) != 0) GTEST_SKIP() << "needs nftables' nft"

class ForgetfulNatLab {
public:
    enum class Forget { drop, reset };

    ForgetfulNatLab(int idle_timeout_s, Forget forget);
    ~ForgetfulNatLab();
    ForgetfulNatLab(const ForgetfulNatLab&) = delete;
    ForgetfulNatLab& operator=(const ForgetfulNatLab&) = delete;

    // Empty when the lab is up, else what failed.
    const std::string& error() const { return m_error; }
    // Makes the server namespace drop every packet it would receive (a dead server).
    bool silence_server() const;
    // Packets the middlebox found invalid (forgotten flows), from its nft counter.
    long invalid_packets() const;
    // A listener on the server's address (any port), made inside the server namespace.
    int listen_in_server() const;
    // A connection from the client namespace to the server's `port`.
    int connect_from_client(std::uint16_t port) const;

    TestNetns client, middlebox, server;
    static constexpr const char* k_client = "10.231.1.2";
    static constexpr const char* k_server = "10.231.2.2";

private:
    std::string m_error;
};

}  // namespace kt::test
