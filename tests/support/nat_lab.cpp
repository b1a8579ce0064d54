#include "support/nat_lab.hpp"

#include <unistd.h>

#include <cstdlib>

#include "support/run_binary.hpp"
#include "support/sockets.hpp"

namespace kt::test {

ForgetfulNatLab::ForgetfulNatLab(int idle_timeout_s, Forget forget) {
    if (!client.ok() || !middlebox.ok() || !server.ok()) {
        m_error = "cannot create the namespaces";
        return;
    }
    // veth names are global while they are created: the pid keeps parallel runs apart.
    const std::string tag = std::to_string(getpid() % 100000);
    const std::string vc = "ktc" + tag, vmc = "ktmc" + tag, vs = "kts" + tag, vms = "ktms" + tag;
    const std::string c = client.name(), m = middlebox.name(), s = server.name();
    const std::string invalid = forget == Forget::reset ? "reject with tcp reset" : "drop";
    const std::string script =
        "set -e\n"
        "ip link add " + vc + " netns " + c + " type veth peer name " + vmc + " netns " + m + "\n"
        "ip link add " + vs + " netns " + s + " type veth peer name " + vms + " netns " + m + "\n"
        "ip -n " + c + " addr add 10.231.1.2/24 dev " + vc + "\n"
        "ip -n " + m + " addr add 10.231.1.1/24 dev " + vmc + "\n"
        "ip -n " + m + " addr add 10.231.2.1/24 dev " + vms + "\n"
        "ip -n " + s + " addr add 10.231.2.2/24 dev " + vs + "\n"
        "for l in " + vc + ":" + c + " " + vmc + ":" + m + " " + vms + ":" + m + " " + vs + ":" + s + "; do\n"
        "  ip -n ${l#*:} link set ${l%:*} up\n"
        "done\n"
        "ip -n " + c + " route add default via 10.231.1.1\n"
        "ip -n " + s + " route add default via 10.231.2.1\n"
        "ip netns exec " + m + " sysctl -q -w net.ipv4.ip_forward=1\n"
        "ip netns exec " + m + " nft -f - <<EOF\n"
        "table ip mbox {\n"
        "  chain forward_filter { type filter hook forward priority 0; policy drop;\n"
        "    ct state invalid counter " + invalid + "\n"
        "    ct state established,related accept\n"
        "    iifname \"" + vmc + "\" ct state new tcp flags syn accept\n"
        "  }\n"
        "  chain postrouting_nat { type nat hook postrouting priority 100; oifname \"" + vms + "\" masquerade; }\n"
        "}\n"
        "EOF\n"
        // The conntrack sysctls exist once the ruleset has loaded conntrack in this namespace.
        "ip netns exec " + m + " sysctl -q -w net.netfilter.nf_conntrack_tcp_loose=0 "
        "net.netfilter.nf_conntrack_tcp_timeout_established=" + std::to_string(idle_timeout_s) + "\n";
    const auto r = run_program({"/bin/sh", "-c", script});
    if (r.exit_code != 0) m_error = "building the lab failed: " + r.err;
}

ForgetfulNatLab::~ForgetfulNatLab() = default;  // the namespaces (and the veths in them) go with TestNetns

bool ForgetfulNatLab::silence_server() const {
    return server.exec("nft add table inet kt_silence && ip netns exec " + server.name() +
                       " nft add chain inet kt_silence in '{ type filter hook input priority 0; policy drop; }' && echo ok") ==
           "ok\n";
}

int ForgetfulNatLab::listen_in_server() const {
    int fd = -1;
    server.run_inside([&] { fd = listen_on(k_server); });
    return fd;
}

int ForgetfulNatLab::connect_from_client(std::uint16_t port) const {
    int fd = -1;
    client.run_inside([&] { fd = connect_to(k_server, port); });
    return fd;
}

long ForgetfulNatLab::invalid_packets() const {
    const auto out = middlebox.exec("nft list chain ip mbox forward_filter | sed -n 's/.*invalid counter packets \\([0-9]*\\).*/\\1/p'");
    return out.empty() ? -1 : std::atol(out.c_str());
}

}  // namespace kt::test
