#include "sys/metrics_server.hpp"

#include <httplib.h>

#include <thread>

#include "core/text/number_parse.hpp"

namespace kt::sys {

struct MetricsServer::Impl {
    httplib::Server server;
    std::thread thread;
    int port = 0;
};

Result<std::pair<std::string, int>> split_listen_address(const std::string& listen) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0)
        return fail("metrics listen address " + listen, "write ADDR:PORT (127.0.0.1:9977, [::1]:9977)");
    std::string host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    auto port = parse_whole_number(listen.substr(colon + 1), 1, 65535);
    if (!port) return fail("metrics listen address " + listen, "the port must be 1..65535");
    return std::pair<std::string, int>{host, static_cast<int>(*port)};
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& listen, HttpRoutes routes) {
    auto where = split_listen_address(listen);
    if (!where) return std::unexpected(where.error());
    auto impl = std::make_unique<Impl>();
    auto serve = [](std::function<HttpAnswer()> route) {
        return [route](const httplib::Request&, httplib::Response& res) {
            const HttpAnswer a = route();
            res.status = a.status;
            res.set_content(a.body, a.content_type.c_str());
        };
    };
    impl->server.Get("/metrics", serve(routes.metrics));
    impl->server.Get("/healthz", serve(routes.healthz));
    impl->server.Get("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("keepalive-tune agent: /metrics (Prometheus text), /healthz\n", "text/plain; charset=utf-8");
    });
    // Scrapes are small and few: two threads keep one slow client from holding the rest.
    // A scraper's idle keep-alive connection must not hold the agent's exit for long.
    impl->server.set_keep_alive_timeout(1);
    impl->server.set_read_timeout(2, 0);
    impl->server.new_task_queue = [] { return new httplib::ThreadPool(2); };
    if (!impl->server.bind_to_port(where->first.c_str(), where->second))
        return fail("metrics listen address " + listen, "cannot bind (in use, or not an address of this host)");
    impl->port = where->second;
    Impl* raw = impl.get();
    impl->thread = std::thread([raw] { raw->server.listen_after_bind(); });
    return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

MetricsServer::~MetricsServer() {
    m_impl->server.stop();
    if (m_impl->thread.joinable()) m_impl->thread.join();
}

int MetricsServer::port() const { return m_impl->port; }

}  // namespace kt::sys
