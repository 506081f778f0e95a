#include "http/server.hpp"

#include <memory>
#include <stdexcept>
#include <utility>

#include "http/detail/connection.hpp"
#include "http/detail/server_setup.hpp"

namespace weft::http {

namespace detail {

void check_server(const Handler& handler, const ServerOptions& o) {
  if (!handler) throw std::invalid_argument("weft: http::serve() needs a handler");
  if (o.max_pipelined == 0) throw std::invalid_argument("weft: http ServerOptions::max_pipelined is 0");
  if (o.max_headers == 0) throw std::invalid_argument("weft: http ServerOptions::max_headers is 0");
  if (o.max_header_bytes == 0) {
    throw std::invalid_argument("weft: http ServerOptions::max_header_bytes is 0");
  }
  for (auto ms : {o.header_timeout, o.body_timeout, o.idle_timeout, o.write_timeout, o.linger,
                  o.handshake_timeout}) {
    if (ms.count() < 0) throw std::invalid_argument("weft: http ServerOptions has a negative timeout");
  }
}

weft::ServerOptions tcp_options(const ServerOptions& o) {
  weft::ServerOptions tcp = o.tcp;
  tcp.first_bytes_timeout = tcp.idle_timeout = std::chrono::milliseconds(0);  // ours bound reads
  return tcp;
}

}  // namespace detail

namespace {

// What every connection of one server shares.
struct Shared {
  Handler handler;
  ServerOptions options;
};

weft::ConnectionHandler connection_handler(Handler handler, const ServerOptions& options) {
  auto shared = std::make_shared<const Shared>(Shared{std::move(handler), options});
  return [shared](Socket& s) {
    SocketTransport t(s);
    serve_connection(t, shared->handler, shared->options);
  };
}

}  // namespace

weft::Server serve(const Endpoint& at, Handler handler, ServerOptions options) {
  detail::check_server(handler, options);
  return weft::serve(at, connection_handler(std::move(handler), options), detail::tcp_options(options));
}

weft::Server serve(Socket listener, Handler handler, ServerOptions options) {
  detail::check_server(handler, options);
  return weft::serve(std::move(listener), connection_handler(std::move(handler), options),
                     detail::tcp_options(options));
}

void serve_connection(Transport& transport, const Handler& handler, const ServerOptions& options) {
  detail::ConnectionCore core(transport, handler, options);
  core.run();
}

}  // namespace weft::http
