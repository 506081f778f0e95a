#pragma once
// Request: what a server handler is given for one HTTP request: the head
// (method, target, version, headers) and the body, read as a stream.
//
//   void handler(weft::http::Request& req, weft::http::Response& res) {
//     std::string body = req.read_body();        // up to ServerOptions::max_body_bytes
//     res.send("got " + std::to_string(body.size()) + " bytes\n");
//   }

#include "weft/sched/config.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "weft/http/detail/head.hpp"
#include "weft/http/headers.hpp"
#include "weft/sched/timeout.hpp"

namespace weft::http {

namespace detail {
struct Exchange;
class ConnectionCore;
}  // namespace detail

class Response;

// An HTTP version: 1.0 or 1.1.
struct Version {
  int major = 1;
  int minor = 1;
  friend bool operator==(const Version&, const Version&) = default;
};

// One request, valid while its handler runs. Loop-thread only; the body is
// read by the handler's tasklet.
class Request {
 public:
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  // "GET", "POST", ...
  const std::string& method() const noexcept { return head_.method; }
  // The request target as sent ("/a/b?x=1").
  const std::string& target() const noexcept { return head_.target; }
  // The target up to '?' and what follows it ("" when there is no query).
  std::string_view path() const noexcept;
  std::string_view query() const noexcept;
  Version version() const noexcept { return {head_.major, head_.minor}; }
  const Headers& headers() const noexcept { return head_.headers; }
  std::optional<std::string_view> header(std::string_view name) const noexcept {
    return head_.headers.get(name);
  }
  // The client allows another request on this connection after this one
  // (HTTP/1.1 without "Connection: close", or 1.0 with "Connection: keep-alive").
  bool keep_alive() const noexcept { return head_.keep_alive; }
  // The body's announced length, when it has one (not for chunked bodies).
  std::optional<std::uint64_t> content_length() const noexcept;
  bool chunked() const noexcept { return head_.chunked; }
  // The request carries a body (a Content-Length above 0, or chunked).
  bool has_body() const noexcept { return head_.has_body(); }

  // Reads up to into.size() body bytes, parking until some arrive; 0 at the
  // end of the body. An "Expect: 100-continue" request gets its "100
  // Continue" at the first read. The wait for more bytes is bounded by
  // ServerOptions::body_timeout (and by `t`). Throws HttpError: 413 past
  // ServerOptions::max_body_bytes, 408 when the body stops arriving, 400 for
  // a malformed chunked body; EofError when the client closes mid-body;
  // what the transport throws; std::logic_error after the handler returned.
  std::size_t read(std::span<char> into, Timeout t = current);
  // Reads the rest of the body (bounded by max_body_bytes). Throws as read().
  std::string read_body(Timeout t = current);
  // Body bytes read so far.
  std::uint64_t body_received() const noexcept;
  // The body has been read to its end (true at once for a request without one).
  bool body_complete() const noexcept;

 private:
  friend struct detail::Exchange;
  friend class detail::ConnectionCore;
  friend class Response;
  Request(detail::Exchange& x, detail::Head&& head) noexcept : head_(std::move(head)), x_(&x) {}

  detail::Head head_;
  detail::Exchange* x_;
};

}  // namespace weft::http
