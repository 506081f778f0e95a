// Connection::connect_https() (built with OpenSSL; see client.hpp).
#include <memory>
#include <utility>

#include "http/client.hpp"
#include "http/detail/client_setup.hpp"
#include "http/tls_transport.hpp"
#include "io/socket.hpp"
#include "io/tls_context.hpp"
#include "io/tls_stream.hpp"

namespace weft::http {

namespace {

// A TLS transport that owns its socket and stream (what connect_https makes).
class OwnedTlsTransport final : public Transport {
 public:
  OwnedTlsTransport(Socket s, const TlsContext& context, std::string_view host, Timeout t)
      : socket_(std::move(s)), tls_(TlsStream::connect(socket_, context, host, t)), t_(tls_) {}
  std::size_t read(std::span<char> buf, Timeout t) override { return t_.read(buf, t); }
  void write_all(std::string_view data, Timeout t) override { t_.write_all(data, t); }
  void shutdown_write() noexcept override { t_.shutdown_write(); }
  // The client's close: close_notify when it can go now, then the socket.
  void abort() noexcept override {
    t_.shutdown_write();
    t_.abort();
  }
  std::string describe() const override { return t_.describe(); }

 private:
  Socket socket_;
  TlsStream tls_;
  TlsTransport t_;
};

const TlsContext& system_context() {
  static const TlsContext context = TlsContext::client();  // verifying, /etc/ssl/certs
  return context;
}

}  // namespace

Connection Connection::connect_https(std::string_view host, std::uint16_t port,
                                     ClientOptions options) {
  const Timeout t = options.connect_timeout.count() > 0 ? Timeout(options.connect_timeout) : never;
  const TlsContext& context = options.tls ? *options.tls : system_context();
  Socket s = Socket::connect(host, port, t);
  auto transport = std::make_unique<OwnedTlsTransport>(std::move(s), context, host, t);
  return Connection(std::move(transport), detail::host_header(host, port, 443), std::move(options));
}

}  // namespace weft::http
