#pragma once
// HTTP/1.1 server: one tasklet per connection reads requests; each request's
// handler runs in a tasklet of its own, so pipelined requests are handled
// concurrently while their responses leave in request order.
//
//   auto server = weft::http::serve(weft::Endpoint::parse("127.0.0.1:8080"),
//       [](weft::http::Request& req, weft::http::Response& res) {
//         res.set_header("Content-Type", "text/plain");
//         res.send("Hello, World!\n");
//       });
//   server.join(weft::never);
//
// What the server does on its own (the limits are ServerOptions, below):
// keep-alive (HTTP/1.1 by default, HTTP/1.0 when asked, answered with
// "Connection: keep-alive"), "Expect: 100-continue", HEAD (no body, the
// Content-Length of the body kept), chunked request bodies, and the limits
// each answered with its status before the connection closes cleanly: a
// malformed request 400, a head too long or with too many fields 431, a body
// over the limit 413, a head or body that stops arriving 408. When the client
// goes (EOF or reset) the handlers still running for it are killed (they
// unwind: TaskletExit), and its fd and memory are freed.

#include "weft/sched/config.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "weft/http/request.hpp"
#include "weft/http/response.hpp"
#include "weft/http/transport.hpp"
#include "weft/io/server.hpp"

namespace weft {
class TlsContext;  // io/tls_context.hpp (https: built with OpenSSL)
}

namespace weft::http {

// Handles one request. Runs in its own tasklet; may park (read the body,
// sleep, call out). An exception escaping it before the response started is
// answered: HttpError with its status, anything else 500 (logged); after it
// started, the connection closes. TaskletExit (the client went, or the server
// stops) unwinds it.
using Handler = std::function<void(Request&, Response&)>;

struct ServerOptions {
  // The TCP server underneath (weft::serve): name, max_connections (10,000),
  // listen options, accept back-off, stack size of connection tasklets. Its
  // first_bytes_timeout and idle_timeout do not apply: the HTTP timeouts
  // below bound every read.
  weft::ServerOptions tcp;
  // The request line and header fields together, in bytes: beyond, 431.
  std::size_t max_header_bytes = 16 * 1024;
  // Header fields per request: beyond, 431.
  std::size_t max_headers = 100;
  // A request body, in bytes: a Content-Length above it is answered 413
  // before the handler runs; a chunked body that grows past it makes the
  // handler's read throw HttpError(413).
  std::uint64_t max_body_bytes = 8 * 1024 * 1024;
  // From a request's first byte to the end of its head: beyond, 408.
  std::chrono::milliseconds header_timeout{10'000};
  // How long a body read waits for more bytes: beyond, 408.
  std::chrono::milliseconds body_timeout{30'000};
  // How long a kept-alive connection waits for its next request (and a new
  // one for its first): beyond, it closes without a response.
  std::chrono::milliseconds idle_timeout{30'000};
  // How long a write waits for the client to take bytes: beyond, the
  // connection closes.
  std::chrono::milliseconds write_timeout{30'000};
  // Requests of one connection read ahead of their responses (their handlers
  // run concurrently); the next one is not read before a response has left.
  // A client that leaves while its connection is at the limit is noticed all
  // the same (its handlers are killed).
  std::size_t max_pipelined = 16;
  // After an error response, how long the server keeps reading (and
  // dropping) what the client still sends before it closes, so that the
  // client reads the response rather than a reset.
  std::chrono::milliseconds linger{2'000};
  // Stack reserve of handler tasklets (0: the loop's default).
  std::size_t handler_stack_size = 0;
  // serve_tls() only: how long a new connection's TLS handshake may take;
  // beyond, the connection closes (logged at debug level, as any failed
  // handshake).
  std::chrono::milliseconds handshake_timeout{10'000};
};
// Every timeout above: zero means no bound.

// Listens on `at` and serves HTTP there (weft::serve underneath; the handle
// stops it). Throws IoError when it cannot listen, std::invalid_argument for
// an empty handler or options out of range (max_pipelined, max_headers or
// max_header_bytes 0). Must be called on a loop thread.
[[nodiscard]] weft::Server serve(const Endpoint& at, Handler handler, ServerOptions options = {});
// The same on a socket that already listens.
[[nodiscard]] weft::Server serve(Socket listener, Handler handler, ServerOptions options = {});

// https: serve() where each connection first makes the TLS handshake with
// `context` (a server context: TlsContext::server) within
// options.handshake_timeout, then serves HTTP over the TLS stream, and sends
// close_notify before it closes. A client that fails the handshake (a
// plain-text one, a wrong protocol or certificate, a timeout) has its
// connection closed, logged at debug level. Throws as serve(), and
// std::invalid_argument for a client context. Built with OpenSSL only.
[[nodiscard]] weft::Server serve_tls(const Endpoint& at, const TlsContext& context, Handler handler,
                                     ServerOptions options = {});
[[nodiscard]] weft::Server serve_tls(Socket listener, const TlsContext& context, Handler handler,
                                     ServerOptions options = {});

// Serves HTTP on one connection that is already open, until it ends: the
// body of serve()'s connection tasklets, for any transport (a TLS one:
// TlsTransport, http/tls_transport.hpp). Returns when the connection is done
// (the caller closes it); throws TaskletExit when killed (its handlers are
// killed first). Must be called in a tasklet.
void serve_connection(Transport& transport, const Handler& handler, const ServerOptions& options);

}  // namespace weft::http
