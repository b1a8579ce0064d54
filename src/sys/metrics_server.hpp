// The agent's HTTP endpoint (/metrics, /healthz), served by cpp-httplib on its own thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/text/error.hpp"

namespace kt::sys {

struct HttpAnswer {
    int status = 200;
    std::string body;
    std::string content_type = "text/plain; charset=utf-8";
};

// GET handlers by path; each is called on the server's threads.
struct HttpRoutes {
    std::function<HttpAnswer()> metrics;
    std::function<HttpAnswer()> healthz;
};

class MetricsServer {
public:
    // Binds `listen` ("127.0.0.1:9977", "[::1]:9977", "0.0.0.0:9977") and serves from a thread.
    static Result<std::unique_ptr<MetricsServer>> start(const std::string& listen, HttpRoutes routes);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;
    int port() const;

    struct Impl;

private:
    explicit MetricsServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

// "host" and port of ADDR:PORT; an error naming the text otherwise.
Result<std::pair<std::string, int>> split_listen_address(const std::string& listen);

}  // namespace kt::sys
