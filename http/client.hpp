#pragma once
// HTTP/1.1 client: a Connection to one server, kept alive across requests.
//
//   auto c = weft::http::Connection::connect("127.0.0.1", 8080);
//   weft::http::ClientResponse r = c.get("/");
//   if (r.status == 200) std::puts(r.body.c_str());
//   r = c.post("/items", R"({"a":1})", "application/json");
//
// Responses are read whole (chunked or by length or up to the close),
// within ClientOptions' limits. Redirects are not followed (Pool can). See
// pool.hpp for a pool of connections keyed by host:port.

#include "weft/sched/config.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "weft/http/headers.hpp"
#include "weft/http/request.hpp"
#include "weft/http/transport.hpp"
#include "weft/sched/timeout.hpp"

namespace weft {
class TlsContext;  // io/tls_context.hpp (https: built with OpenSSL)
}

namespace weft::http {

struct ClientOptions {
  // How long connecting may take (zero: no bound).
  std::chrono::milliseconds connect_timeout{10'000};
  // One request, from its first byte written to its response's last byte
  // read (zero: no bound); a call's own timeout can only shorten it.
  std::chrono::milliseconds timeout{30'000};
  // A response's status line and header fields, in bytes, and their count.
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t max_headers = 200;
  // A response body, in bytes.
  std::uint64_t max_body_bytes = 64 * 1024 * 1024;
  // Pool only: redirects followed (301, 302, 303, 307, 308 with a Location);
  // 0, the default: none, the redirect response is returned.
  int max_redirects = 0;
  // https: the TLS client context connections are made with (e.g. one
  // trusting a CA file: TlsContext::client({.ca_file = ...})); nullptr, the
  // default: a verifying context on the system's store (/etc/ssl/certs).
  std::shared_ptr<const TlsContext> tls;
};

struct ClientResponse {
  int status = 0;
  std::string reason;
  Version version;
  Headers headers;
  std::string body;
  // The server keeps the connection open after this response.
  bool keep_alive = false;
  std::optional<std::string_view> header(std::string_view name) const noexcept {
    return headers.get(name);
  }
};

// One client connection. Move-only; loop-thread only; one request at a time.
class Connection {
 public:
  // Connects to host:port (resolved off the loop) within
  // options.connect_timeout. Throws ResolveError, IoError, TimeoutError,
  // TaskletExit. Must be called in a tasklet.
  static Connection connect(std::string_view host, std::uint16_t port, ClientOptions options = {});
  // https: connects to host:port, then makes the TLS handshake with
  // options.tls (or the system's store), sending `host` as SNI and checking
  // the server's certificate against it; each step within
  // options.connect_timeout. Throws as connect(), and TlsError naming the
  // refusal ("TLS handshake with 127.0.0.1:8443 failed: certificate verify
  // failed (hostname mismatch)"). Without OpenSSL in the build:
  // std::invalid_argument.
  static Connection connect_https(std::string_view host, std::uint16_t port,
                                  ClientOptions options = {});
  // A connection over a transport that is already connected (https: a TLS
  // transport); `host` is sent as the Host header.
  Connection(std::unique_ptr<Transport> transport, std::string host, ClientOptions options = {});
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  // Sends a request and reads its response. Sets Host (unless given) and
  // Content-Length for a body (or for POST and PUT without one). A timeout
  // or any failure closes the connection. Throws ProtocolError (a malformed
  // response, or one over the limits), EofError (the server closed before
  // its response), IoError, TimeoutError (options.timeout or `t`),
  // TaskletExit, std::logic_error on a closed connection.
  ClientResponse request(std::string_view method, std::string_view target,
                         const Headers& headers = {}, std::string_view body = {},
                         Timeout t = current);
  ClientResponse get(std::string_view target, Timeout t = current) {
    return request("GET", target, {}, {}, t);
  }
  ClientResponse post(std::string_view target, std::string_view body,
                      std::string_view content_type = "application/octet-stream",
                      Timeout t = current);

  // Another request can be sent (not closed, by either side's choice).
  bool is_open() const noexcept;
  // Requests sent on this connection so far.
  std::size_t requests() const noexcept;
  // Closes it (idempotent).
  void close() noexcept;

 private:
  struct State;
  explicit Connection(std::unique_ptr<State> s) noexcept;
  std::unique_ptr<State> s_;
};

}  // namespace weft::http
