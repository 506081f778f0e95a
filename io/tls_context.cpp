#include "io/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <strings.h>

#include <stdexcept>

#include "io/detail/tls_context_state.hpp"
#include "io/detail/tls_error.hpp"
#include "io/detail/tls_session.hpp"

namespace weft {

using detail::openssl_reasons;
using detail::TlsContextState;

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw TlsError("weft: " + what + " failed: " + openssl_reasons());
}

std::vector<unsigned char> alpn_wire(const std::vector<std::string>& names) {
  std::vector<unsigned char> wire;
  for (const std::string& n : names) {
    if (n.empty() || n.size() > 255) {
      throw TlsError("weft: the ALPN protocol name '" + n + "' is " +
                     (n.empty() ? "empty" : "longer than 255 bytes") + " (TlsOptions::alpn)");
    }
    wire.push_back(static_cast<unsigned char>(n.size()));
    wire.insert(wire.end(), n.begin(), n.end());
  }
  return wire;
}

// ALPN, server side: the first of the server's protocols the client offers.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) {
  auto* st = static_cast<TlsContextState*>(arg);
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, outlen, st->alpn_wire.data(),
                            static_cast<unsigned int>(st->alpn_wire.size()), in,
                            inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;  // RFC 7301: no_application_protocol
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

// SNI, server side: switches the connection to the context that serves the name.
int select_name(SSL* ssl, int* alert, void* arg) {
  auto* st = static_cast<TlsContextState*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_OK;
  auto* session = static_cast<detail::TlsSession*>(SSL_get_app_data(ssl));
  try {
    std::optional<TlsContext> pick;
    for (const auto& [n, c] : st->names) {
      if (::strcasecmp(n.c_str(), name) == 0) {
        pick = c;
        break;
      }
    }
    if (!pick && st->on_name) pick = st->on_name(name);
    if (pick) {
      if (!pick->is_server()) {
        throw std::logic_error(std::string("weft: the TLS context chosen for the server name '") +
                               name + "' is a client context");
      }
      if (SSL_set_SSL_CTX(ssl, detail::context_state(*pick).ctx) == nullptr) fail("switching the TLS context");
      session->context = *pick;  // keeps it alive as long as the connection
    }
    return SSL_TLSEXT_ERR_OK;
  } catch (...) {
    session->callback_error = std::current_exception();
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
}

std::shared_ptr<TlsContextState> make(const TlsOptions& o, bool server) {
  auto st = std::make_shared<TlsContextState>();
  st->server = server;
  st->options = o;
  st->alpn_wire = alpn_wire(o.alpn);
  ERR_clear_error();
  st->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (st->ctx == nullptr) fail("creating a TLS context");
  SSL_CTX* ctx = st->ctx;
  const int min = o.min_version == TlsVersion::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(ctx, min) != 1) fail("setting the lowest TLS version");
  // Partial writes: SSL_write returns as soon as a record is out, as a socket
  // write returns what the kernel took. A moving buffer: a retried write
  // (after WANT_WRITE) comes from the caller's buffer, wherever it now is.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
                               (o.ignore_unexpected_eof ? SSL_OP_IGNORE_UNEXPECTED_EOF : 0));
  if (!o.certificate_file.empty() &&
      SSL_CTX_use_certificate_chain_file(ctx, o.certificate_file.c_str()) != 1) {
    fail("loading the TLS certificate " + o.certificate_file);
  }
  if (!o.private_key_file.empty()) {
    if (SSL_CTX_use_PrivateKey_file(ctx, o.private_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      fail("loading the TLS private key " + o.private_key_file);
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      fail("checking the TLS private key " + o.private_key_file + " against the certificate " +
           o.certificate_file);
    }
  }
  const bool verify = server ? o.require_client_certificate : o.verify_peer;
  if (verify) {
    if (!o.ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(ctx, o.ca_file.c_str(), nullptr) != 1) {
        fail("loading the TLS CA file " + o.ca_file);
      }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      fail("loading the system's CA certificates");
    }
    SSL_CTX_set_verify(ctx, server ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                                   : SSL_VERIFY_PEER,
                       nullptr);
  }
  if (server) {
    SSL_CTX_set_tlsext_servername_callback(ctx, select_name);
    SSL_CTX_set_tlsext_servername_arg(ctx, st.get());
    if (!st->alpn_wire.empty()) SSL_CTX_set_alpn_select_cb(ctx, select_alpn, st.get());
  } else if (!st->alpn_wire.empty() &&
             SSL_CTX_set_alpn_protos(ctx, st->alpn_wire.data(),
                                     static_cast<unsigned int>(st->alpn_wire.size())) != 0) {
    fail("setting the ALPN protocols");
  }
  return st;
}

}  // namespace

TlsContext::TlsContext(std::shared_ptr<TlsContextState> state) noexcept
    : state_(std::move(state)) {}

TlsContext TlsContext::client(const TlsOptions& options) {
  if (options.certificate_file.empty() != options.private_key_file.empty()) {
    throw std::invalid_argument(
        "weft: a TLS client certificate needs both TlsOptions::certificate_file and "
        "private_key_file");
  }
  return TlsContext(make(options, false));
}

TlsContext TlsContext::server(const TlsOptions& options) {
  if (options.certificate_file.empty() || options.private_key_file.empty()) {
    throw std::invalid_argument(
        "weft: a TLS server context needs TlsOptions::certificate_file and private_key_file");
  }
  return TlsContext(make(options, true));
}

void TlsContext::add_server_name(std::string_view name, TlsContext context) {
  if (!state_->server) throw std::logic_error("weft: add_server_name on a TLS client context");
  state_->names.emplace_back(std::string(name), std::move(context));
}

void TlsContext::on_server_name(ServerNameCallback callback) {
  if (!state_->server) throw std::logic_error("weft: on_server_name on a TLS client context");
  state_->on_name = std::move(callback);
}

detail::TlsContextState& detail::context_state(const TlsContext& c) noexcept {
  return *c.state_;
}

bool TlsContext::is_server() const noexcept { return state_->server; }

const TlsOptions& TlsContext::options() const noexcept { return state_->options; }

}  // namespace weft
