#pragma once
// Pool: HTTP requests by URL over kept-alive connections, at most a few idle
// ones kept per scheme, host and port. https:// URLs go over TLS
// (Connection::connect_https: options.tls, or the system's store).
//
//   weft::http::Pool pool;
//   auto r = pool.get("http://127.0.0.1:8080/status");
//   r = pool.get("https://localhost:8443/status");

#include "weft/sched/config.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "weft/http/client.hpp"

namespace weft::http {

// The parts of an "http[s]://host[:port][/target]" URL.
struct Url {
  std::string host;    // without brackets for IPv6
  std::uint16_t port = 80;  // 443 for https
  std::string target;  // "/" at least
  bool https = false;
  // Throws std::invalid_argument for anything else.
  static Url parse(std::string_view url);
};

// Loop-thread only; requests from several tasklets may run at once (each
// takes a connection of its own).
class Pool {
 public:
  explicit Pool(ClientOptions options = {}, std::size_t max_idle_per_host = 8);

  // Sends the request on an idle connection to the URL's host:port, or a new
  // one; the connection goes back to the pool when the server keeps it open.
  // A GET or HEAD that finds a reused connection closed by the server is
  // sent once more on a new one. Follows redirects up to
  // options.max_redirects (303, and 301/302 after a POST, become a GET
  // without a body). Throws as Connection::request, and
  // std::invalid_argument for a URL it cannot use.
  ClientResponse request(std::string_view method, std::string_view url, const Headers& headers = {},
                         std::string_view body = {}, Timeout t = current);
  ClientResponse get(std::string_view url, Timeout t = current) {
    return request("GET", url, {}, {}, t);
  }
  ClientResponse post(std::string_view url, std::string_view body,
                      std::string_view content_type = "application/octet-stream",
                      Timeout t = current);

  // Idle connections kept now (all hosts).
  std::size_t idle() const noexcept;
  // Connections opened so far.
  std::size_t opened() const noexcept { return opened_; }
  // Closes the idle connections.
  void clear() noexcept { idle_.clear(); }

 private:
  ClientResponse once(std::string_view method, const Url& url, const Headers& headers,
                      std::string_view body, Timeout t);

  ClientOptions options_;
  std::size_t max_idle_;
  std::size_t opened_ = 0;
  std::map<std::string, std::vector<Connection>> idle_;  // by "scheme://host:port"
};

}  // namespace weft::http
