// serve_tls(): serve() over TLS (built with OpenSSL only; see server.hpp).
#include <chrono>
#include <memory>
#include <stdexcept>
#include <utility>

#include "http/detail/server_setup.hpp"
#include "http/server.hpp"
#include "http/tls_transport.hpp"
#include "io/tls_context.hpp"
#include "io/tls_stream.hpp"

namespace weft::http {

namespace {

// After a failed handshake: reads what the client sent that is there now (a
// plain-http request past the bytes OpenSSL looked at), so that the close is
// a FIN the client reads as the end, not a reset. Never parks.
void drain(Socket& s) noexcept {
  char buf[4096];
  try {
    for (int i = 0; i < 16; ++i) {
      if (s.read({buf, sizeof buf}, std::chrono::nanoseconds(0)) == 0) return;
    }
  } catch (const std::exception&) {
    // nothing more there now, or the socket failed: the close follows anyway
  }
}

struct Shared {
  TlsContext context;
  Handler handler;
  ServerOptions options;
};

weft::ConnectionHandler tls_connection_handler(const TlsContext& context, Handler handler,
                                               const ServerOptions& options) {
  detail::check_server(handler, options);
  if (context.is_server() == false) {
    throw std::invalid_argument("weft: http::serve_tls() needs a server TLS context "
                                "(TlsContext::server), not a client one");
  }
  auto shared = std::make_shared<const Shared>(Shared{context, std::move(handler), options});
  return [shared](Socket& s) {
    const auto hs = shared->options.handshake_timeout;
    // A failed handshake (TlsError, TimeoutError) ends the connection here;
    // weft::serve logs it at debug level and closes the socket.
    TlsStream tls = [&] {
      try {
        return TlsStream::accept(s, shared->context, hs.count() > 0 ? Timeout(hs) : never);
      } catch (const TlsError&) {
        drain(s);
        throw;
      }
    }();
    TlsTransport t(tls);
    serve_connection(t, shared->handler, shared->options);
    try {
      tls.close(std::chrono::nanoseconds(0));  // close_notify unless sent; never parks
    } catch (const TimeoutError&) {
      // the socket would not take it now: closed without it
    }
  };
}

}  // namespace

weft::Server serve_tls(const Endpoint& at, const TlsContext& context, Handler handler,
                       ServerOptions options) {
  return weft::serve(at, tls_connection_handler(context, std::move(handler), options),
                     detail::tcp_options(options));
}

weft::Server serve_tls(Socket listener, const TlsContext& context, Handler handler,
                       ServerOptions options) {
  return weft::serve(std::move(listener), tls_connection_handler(context, std::move(handler), options),
                     detail::tcp_options(options));
}

}  // namespace weft::http
