#pragma once
// What a TlsContext holds: OpenSSL's SSL_CTX and the settings its callbacks
// read (ALPN list, SNI choices). Private to io/.

#include <openssl/ssl.h>

#include <string>
#include <utility>
#include <vector>

#include "weft/io/tls_context.hpp"

namespace weft::detail {

struct TlsContextState {
  TlsContextState() = default;
  TlsContextState(const TlsContextState&) = delete;
  TlsContextState& operator=(const TlsContextState&) = delete;
  ~TlsContextState() { SSL_CTX_free(ctx); }

  SSL_CTX* ctx = nullptr;  // owned
  bool server = false;
  TlsOptions options;
  std::vector<unsigned char> alpn_wire;  // options.alpn in ALPN's wire form
  // SNI (servers): names (lower case) and the contexts that serve them.
  std::vector<std::pair<std::string, TlsContext>> names;
  TlsContext::ServerNameCallback on_name;
};

}  // namespace weft::detail
