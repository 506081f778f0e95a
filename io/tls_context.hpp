#pragma once
// TlsContext: the configuration TLS streams are made from (certificates,
// keys, trusted CAs, ALPN, verification), built once and shared by every
// connection that uses it.
//
//   auto server = weft::TlsContext::server({.certificate_file = "cert.pem",
//                                           .private_key_file = "key.pem",
//                                           .alpn = {"http/1.1"}});
//   auto client = weft::TlsContext::client({.ca_file = "ca.pem"});  // verifies by default
//
// OpenSSL 3 underneath (io/detail/); no OpenSSL type appears here.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/io/errors.hpp"

namespace weft {

class TlsContext;
namespace detail {
struct TlsContextState;
// The state behind a context (io/ only).
TlsContextState& context_state(const TlsContext& c) noexcept;
}

// The oldest protocol version a context accepts.
enum class TlsVersion { tls1_2, tls1_3 };

struct TlsOptions {
  // PEM file with this side's certificate, then its chain (intermediates).
  // Servers need one; clients only for client authentication.
  std::string certificate_file;
  // PEM file with the certificate's private key (unencrypted).
  std::string private_key_file;
  // PEM file of the CAs peers are verified against; empty: the system's store
  // (/etc/ssl/certs).
  std::string ca_file;
  // Clients: verify the server's certificate chain and its name (the host
  // given to TlsStream::connect). On by default; turn it off only for tests.
  // Ignored by servers (see require_client_certificate).
  bool verify_peer = true;
  // Servers: ask for a client certificate, verify it against ca_file (or the
  // system's store) and refuse a client without one.
  bool require_client_certificate = false;
  // ALPN protocol names ("h2", "http/1.1"). Clients offer them in this order;
  // servers pick the first of theirs the client offers, and refuse a client
  // that offers only others (RFC 7301); empty: no ALPN.
  std::vector<std::string> alpn;
  TlsVersion min_version = TlsVersion::tls1_2;
  // A peer that closes the TCP connection without a TLS close_notify: false
  // (the default) makes the read throw EofError (the data may have been cut
  // short by an attacker); true makes it an ordinary end of stream.
  bool ignore_unexpected_eof = false;
};

// A shared handle (copies refer to the same context). Configure it before the
// first connection uses it; after that it may be shared by several loops.
class TlsContext {
 public:
  // Contexts for the two sides. Throw TlsError naming the file or setting
  // that could not be used (a missing or unreadable file, a key that does
  // not match the certificate, an ALPN name longer than 255 bytes or empty),
  // std::invalid_argument when a server has no certificate or key.
  static TlsContext client(const TlsOptions& options = {});
  static TlsContext server(const TlsOptions& options);

  // Servers, SNI: a client that asks for `name` (exact, case-insensitive)
  // gets `context`'s certificate and settings instead of this one's.
  // Throws std::logic_error on a client context.
  void add_server_name(std::string_view name, TlsContext context);
  // Servers, SNI: called with the name a client asks for when no
  // add_server_name entry matches; the context it returns serves that client
  // (std::nullopt: this one). What it throws fails that handshake with the
  // same exception. Throws std::logic_error on a client context.
  using ServerNameCallback = std::function<std::optional<TlsContext>(std::string_view name)>;
  void on_server_name(ServerNameCallback callback);

  bool is_server() const noexcept;
  const TlsOptions& options() const noexcept;

 private:
  friend detail::TlsContextState& detail::context_state(const TlsContext& c) noexcept;
  explicit TlsContext(std::shared_ptr<detail::TlsContextState> state) noexcept;
  std::shared_ptr<detail::TlsContextState> state_;
};

}  // namespace weft
