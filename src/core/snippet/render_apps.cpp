// Programs that set keepalive themselves: Go, Java, Netty.
#include "core/snippet/render_family.hpp"

namespace kt::render_family {

namespace {
std::string go_imports(bool with_user_timeout, bool with_time) {
    std::string out = "import (\n\t\"net\"\n";
    if (with_user_timeout) out += "\t\"syscall\"\n";
    if (with_time) out += "\t\"time\"\n";
    if (with_user_timeout) out += "\n\t\"golang.org/x/sys/unix\"\n";
    return out + ")\n";
}

// One var per side, each a single-line composite literal (gofmt leaves those as they are).
std::string go_var(std::string_view name, std::string_view type, std::string_view doc, const Profile& p, bool control) {
    std::string fields = p.keepalive.enabled ? "KeepAliveConfig: Config" : "KeepAlive: -1";
    if (control) fields += ", Control: setUserTimeout";
    return "\n// " + std::string(name) + " is for the connections this program " + std::string(doc) + ".\nvar " +
           std::string(name) + " = " + std::string(type) + "{" + fields + "}\n";
}

// The body of a Java method setting the profile through `set` ("socket.setOption").
std::string java_options(const Profile& p, std::string_view set, std::string_view indent) {
    const std::string i(indent);
    std::string out = i + std::string(set) + "(StandardSocketOptions.SO_KEEPALIVE, " +
                      (p.keepalive.enabled ? "true" : "false") + ");\n";
    if (!p.keepalive.enabled) return out;
    out += i + std::string(set) + "(ExtendedSocketOptions.TCP_KEEPIDLE, " + num(p.keepalive.idle_seconds) + ");\n";
    out +=
        i + std::string(set) + "(ExtendedSocketOptions.TCP_KEEPINTERVAL, " + num(p.keepalive.interval_seconds) + ");\n";
    out += i + std::string(set) + "(ExtendedSocketOptions.TCP_KEEPCOUNT, " + num(p.keepalive.count) + ");\n";
    return out;
}

std::string netty_chain(const Profile& p, std::string_view var, std::string_view option) {
    const std::string o(option);
    std::string out = "        return " + std::string(var) + "\n                ." + o +
                      "(ChannelOption.SO_KEEPALIVE, " + (p.keepalive.enabled ? "true" : "false") + ")";
    if (p.keepalive.enabled) {
        out += "\n                ." + o + "(EpollChannelOption.TCP_KEEPIDLE, " + num(p.keepalive.idle_seconds) + ")";
        out +=
            "\n                ." + o + "(EpollChannelOption.TCP_KEEPINTVL, " + num(p.keepalive.interval_seconds) + ")";
        out += "\n                ." + o + "(EpollChannelOption.TCP_KEEPCNT, " + num(p.keepalive.count) + ")";
    }
    if (p.user_timeout_ms)
        out += "\n                ." + o + "(EpollChannelOption.TCP_USER_TIMEOUT, " + num(*p.user_timeout_ms) + ")";
    return out + ";\n";
}
}  // namespace

// Before Go 1.23 (Debian 12 has 1.19) there is no net.KeepAliveConfig, and Dialer.KeepAlive sets
// idle and interval to one value after connect: Go's own keepalive stays off (-1, which leaves
// the socket alone) and a Control function sets the profile before listen() or connect().
// Accepted connections inherit the listener's values.
Rendering go_before_1_23(const Profile& p, const RenderOptions& o, const GoVersion& v) {
    const auto ut = user_timeout(p);
    Snippet s;
    s.title = "a Control function for net.ListenConfig and net.Dialer";
    s.where = "a file of its own in your module (package keepalive)";
    s.syntax = "go";
    s.comments = CommentStyle::slashes;
    std::string options = "\t\t\t{syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, " +
                          std::string(p.keepalive.enabled ? "1" : "0") + "},\n";
    if (p.keepalive.enabled)
        options = "\t\t\t{syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, " + num(p.keepalive.idle_seconds) +
                  "},\n\t\t\t{syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, " + num(p.keepalive.interval_seconds) +
                  "},\n\t\t\t{syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, " + num(p.keepalive.count) + "},\n" + options;
    if (ut) options += "\t\t\t{syscall.IPPROTO_TCP, tcpUserTimeout, " + num(*ut) + "},\n";
    s.body = "\npackage keepalive\n\nimport (\n\t\"net\"\n\t\"syscall\"\n)\n";
    if (ut) s.body += "\n// tcpUserTimeout is TCP_USER_TIMEOUT (linux/tcp.h), which package syscall does not name.\nconst tcpUserTimeout = 0x12\n";
    if (wants_downstream(o))
        s.body += "\n// Listen is for the connections this program accepts (downstream); they inherit the\n"
                  "// listener's values.\nvar Listen = net.ListenConfig{KeepAlive: -1, Control: setKeepalive}\n";
    if (wants_upstream(o))
        s.body += "\n// Dial is for the connections this program makes (upstream).\n"
                  "var Dial = net.Dialer{KeepAlive: -1, Control: setKeepalive}\n";
    s.body += "\n// setKeepalive puts the profile on the socket before it listens or connects; KeepAlive: -1\n"
              "// keeps Go from setting its own values afterwards.\n"
              "func setKeepalive(network, address string, c syscall.RawConn) error {\n\tvar err error\n"
              "\tif cerr := c.Control(func(fd uintptr) {\n\t\tfor _, o := range []struct{ level, name, value int }{\n" +
              options +
              "\t\t} {\n\t\t\tif err == nil {\n\t\t\t\terr = syscall.SetsockoptInt(int(fd), o.level, o.name, o.value)\n"
              "\t\t\t}\n\t\t}\n\t}); cerr != nil {\n\t\treturn cerr\n\t}\n\treturn err\n}\n";
    s.caveats.push_back({CaveatKind::scope,
                         "net/http's ListenAndServe and DefaultTransport turn on Go's own keepalive (15 s): serve on "
                         "Listen.Listen and give http.Transport Dial.DialContext."});
    s.caveats.push_back({CaveatKind::version, "for Go " + num(v.major) + "." + num(v.minor) +
                                                  ", before net.KeepAliveConfig (1.23); Linux only (syscall's "
                                                  "TCP_KEEP* constants)."});
    return one_snippet(std::move(s), p, o, ut.has_value());
}

Rendering go(const Profile& p, const RenderOptions& o) {
    if (o.go_version && *o.go_version < GoVersion{1, 23}) return go_before_1_23(p, o, *o.go_version);
    const auto ut = user_timeout(p);
    Snippet s;
    s.title = "net.ListenConfig and net.Dialer";
    s.where = "a file of its own in your module (package keepalive)";
    s.syntax = "go";
    s.comments = CommentStyle::slashes;
    // The blank line keeps the header from being the package's doc comment, which gofmt rewraps.
    s.body = "\npackage keepalive\n\n" + go_imports(ut.has_value(), p.keepalive.enabled);
    if (p.keepalive.enabled)
        s.body +=
            "\n// Config is the profile's keepalive.\nvar Config = net.KeepAliveConfig{\n\tEnable:   true,\n"
            "\tIdle:     " +
            num(p.keepalive.idle_seconds) + " * time.Second,\n\tInterval: " + num(p.keepalive.interval_seconds) +
            " * time.Second,\n\tCount:    " + num(p.keepalive.count) + ",\n}\n";
    if (wants_downstream(o)) s.body += go_var("Listen", "net.ListenConfig", "accepts (downstream)", p, ut.has_value());
    if (wants_upstream(o)) s.body += go_var("Dial", "net.Dialer", "makes (upstream)", p, ut.has_value());
    if (ut)
        s.body +=
            "\n// setUserTimeout sets TCP_USER_TIMEOUT (ms), which net.KeepAliveConfig has no field for.\n"
            "func setUserTimeout(network, address string, c syscall.RawConn) error {\n\tvar err error\n"
            "\tif cerr := c.Control(func(fd uintptr) {\n\t\terr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, "
            "unix.TCP_USER_TIMEOUT, " +
            num(*ut) + ")\n\t}); cerr != nil {\n\t\treturn cerr\n\t}\n\treturn err\n}\n";

    s.caveats.push_back({CaveatKind::scope,
                         "a zero field of net.KeepAliveConfig means Go's default (idle 15 s, interval 15 s, count 9), "
                         "not off, and a negative one leaves the value alone; KeepAlive: -1 turns keepalive off. "
                         "net/http's ListenAndServe and DefaultTransport use the 15/15/9 defaults: serve on "
                         "Listen.Listen and give http.Transport Dial.DialContext."});
    if (ut)
        s.caveats.push_back({CaveatKind::scope,
                             "TCP_USER_TIMEOUT goes through the socket's Control function and "
                             "needs golang.org/x/sys/unix; accepted connections inherit it from "
                             "the listener."});
    s.caveats.push_back({CaveatKind::version, "net.KeepAliveConfig needs Go 1.23."});
    return one_snippet(std::move(s), p, o, ut.has_value());
}

Rendering java(const Profile& p, const RenderOptions& o) {
    std::string where = o.side == Side::downstream ? "each socket this program accepts"
                        : o.side == Side::upstream
                            ? "each socket this program connects"
                            : "each socket this program accepts (downstream) or connects (upstream)";
    Snippet s;
    s.title = "jdk.net.ExtendedSocketOptions";
    s.where = "KeepaliveProfile.java; call apply() on " + where;
    s.syntax = "java";
    s.comments = CommentStyle::slashes;
    s.body =
        "import java.io.IOException;\nimport java.net.Socket;\nimport java.net.StandardSocketOptions;\n"
        "import java.nio.channels.NetworkChannel;\n";
    if (p.keepalive.enabled) s.body += "import jdk.net.ExtendedSocketOptions;\n";
    s.body += "\n/** Keepalive profile " + p.name +
              ". */\npublic final class KeepaliveProfile {\n"
              "    private KeepaliveProfile() {}\n\n    /** For a java.net.Socket. */\n"
              "    public static void apply(Socket socket) throws IOException {\n" +
              java_options(p, "socket.setOption", "        ") +
              "    }\n\n    /** For a SocketChannel (NIO). */\n"
              "    public static void apply(NetworkChannel channel) throws IOException {\n" +
              java_options(p, "channel.setOption", "        ") + "    }\n}\n";
    if (auto c = no_user_timeout(p, "the JDK has no socket option for it (Netty's epoll transport has one)"))
        s.caveats.push_back(*c);
    s.caveats.push_back({CaveatKind::version,
                         "TCP_KEEPIDLE, TCP_KEEPINTERVAL and TCP_KEEPCOUNT of "
                         "jdk.net.ExtendedSocketOptions need JDK 11 (Linux and macOS)."});
    return one_snippet(std::move(s), p, o, false);
}

Rendering netty(const Profile& p, const RenderOptions& o) {
    Snippet s;
    s.title = "EpollChannelOption on the bootstraps";
    s.where = "KeepaliveProfile.java; pass your bootstraps through apply() before bind() or connect()";
    s.syntax = "java";
    s.comments = CommentStyle::slashes;
    s.body = "";
    if (wants_upstream(o)) s.body += "import io.netty.bootstrap.Bootstrap;\n";
    if (wants_downstream(o)) s.body += "import io.netty.bootstrap.ServerBootstrap;\n";
    s.body += "import io.netty.channel.ChannelOption;\n";
    if (p.keepalive.enabled || p.user_timeout_ms) s.body += "import io.netty.channel.epoll.EpollChannelOption;\n";
    s.body += "\n/** Keepalive profile " + p.name +
              " for Netty's native epoll transport. */\n"
              "public final class KeepaliveProfile {\n    private KeepaliveProfile() {}\n";
    if (wants_downstream(o))
        s.body +=
            "\n    /** The connections the server accepts (downstream): child options. */\n"
            "    public static ServerBootstrap apply(ServerBootstrap server) {\n" +
            netty_chain(p, "server", "childOption") + "    }\n";
    if (wants_upstream(o))
        s.body +=
            "\n    /** The connections this program makes (upstream). */\n"
            "    public static Bootstrap apply(Bootstrap client) {\n" +
            netty_chain(p, "client", "option") + "    }\n";
    s.body += "}\n";
    s.caveats.push_back({CaveatKind::scope,
                         "EpollChannelOption works only on the native epoll transport (EpollEventLoopGroup with "
                         "EpollServerSocketChannel or EpollSocketChannel). On NIO, NioChannelOption.of("
                         "ExtendedSocketOptions.TCP_KEEPIDLE) and its siblings (JDK 11, not verified) give idle, "
                         "interval and count but no user timeout."});
    return one_snippet(std::move(s), p, o, true);
}

}  // namespace kt::render_family
