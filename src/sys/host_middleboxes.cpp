#include "sys/host_middleboxes.hpp"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "core/profile/host_middleboxes.hpp"
#include "sys/files.hpp"
#include "sys/health_facts.hpp"

namespace kt::sys {

namespace {
struct MnlSocket {
    mnl_socket* s = nullptr;
    ~MnlSocket() {
        if (s) mnl_socket_close(s);
    }
};

// Sends one generic netlink request and hands each attribute of the reply to `on_attr`.
Result<void> genl_request(MnlSocket& sock, std::uint16_t family, std::uint8_t cmd, std::uint8_t version,
                          const char* family_name_attr, mnl_attr_cb_t on_attr, void* data) {
    char buf[8192];  // MNL_SOCKET_BUFFER_SIZE, which is a signed expression
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = family;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    const unsigned seq = static_cast<unsigned>(time(nullptr));
    nlh->nlmsg_seq = seq;
    auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
    genl->cmd = cmd;
    genl->version = version;
    if (family_name_attr) mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, family_name_attr);
    if (mnl_socket_sendto(sock.s, nlh, nlh->nlmsg_len) < 0) return fail("generic netlink", errno_text(errno));
    struct Context {
        mnl_attr_cb_t cb;
        void* data;
    } ctx{on_attr, data};
    auto on_msg = [](const nlmsghdr* m, void* d) -> int {
        auto* c = static_cast<Context*>(d);
        return mnl_attr_parse(m, sizeof(genlmsghdr), c->cb, c->data);
    };
    const unsigned port = mnl_socket_get_portid(sock.s);
    for (;;) {
        const ssize_t n = mnl_socket_recvfrom(sock.s, buf, sizeof buf);
        if (n < 0) return fail("generic netlink", errno_text(errno));
        const int r = mnl_cb_run(buf, static_cast<std::size_t>(n), seq, port, on_msg, &ctx);
        if (r < 0) return std::unexpected(Error{"generic netlink", errno_text(errno), errno});
        if (r == MNL_CB_STOP) return {};
    }
}
}  // namespace

Result<std::optional<IpvsTimeouts>> read_ipvs_timeouts() {
    MnlSocket sock;
    sock.s = mnl_socket_open(NETLINK_GENERIC);
    if (!sock.s || mnl_socket_bind(sock.s, 0, MNL_SOCKET_AUTOPID) < 0) return fail("generic netlink", errno_text(errno));
    std::uint16_t family = 0;
    auto got_family = genl_request(
        sock, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, IPVS_GENL_NAME,
        [](const nlattr* a, void* d) -> int {
            if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID && mnl_attr_validate(a, MNL_TYPE_U16) >= 0)
                *static_cast<std::uint16_t*>(d) = mnl_attr_get_u16(a);
            return MNL_CB_OK;
        },
        &family);
    // No such family: this kernel has no IPVS (or its module is not loaded).
    if (!got_family && got_family.error().code == ENOENT) return std::optional<IpvsTimeouts>{};
    if (!got_family) return std::unexpected(got_family.error());
    if (family == 0) return std::optional<IpvsTimeouts>{};
    IpvsTimeouts t;
    auto got = genl_request(
        sock, family, IPVS_CMD_GET_CONFIG, IPVS_GENL_VERSION, nullptr,
        [](const nlattr* a, void* d) -> int {
            auto* out = static_cast<IpvsTimeouts*>(d);
            if (mnl_attr_validate(a, MNL_TYPE_U32) < 0) return MNL_CB_OK;
            switch (mnl_attr_get_type(a)) {
                case IPVS_CMD_ATTR_TIMEOUT_TCP: out->tcp_seconds = mnl_attr_get_u32(a); break;
                case IPVS_CMD_ATTR_TIMEOUT_TCP_FIN: out->tcp_fin_seconds = mnl_attr_get_u32(a); break;
                case IPVS_CMD_ATTR_TIMEOUT_UDP: out->udp_seconds = mnl_attr_get_u32(a); break;
                default: break;
            }
            return MNL_CB_OK;
        },
        &t);
    if (!got) return std::unexpected(got.error());
    return std::optional<IpvsTimeouts>{t};
}

std::vector<Middlebox> host_middleboxes(const NetnsTarget& ns, Errors& warnings) {
    std::vector<Middlebox> out;
    const auto facts = read_health_facts(ns);
    if (facts.conntrack_timeout_ms) out.push_back(host_conntrack_middlebox(*facts.conntrack_timeout_ms / 1000));
    std::optional<IpvsTimeouts> ipvs;
    auto r = run_in_netns(ns, [&]() -> Result<void> {
        auto t = read_ipvs_timeouts();
        if (!t) return std::unexpected(t.error());
        ipvs = *t;
        return {};
    });
    if (!r)
        warnings.push_back({"IPVS timeouts", r.error().why});
    else if (ipvs && ipvs->tcp_seconds)
        out.push_back(host_ipvs_middlebox(ipvs->tcp_seconds));
    return out;
}

}  // namespace kt::sys
