#include "io/detail/tls_error.hpp"

#include "io/detail/errno_text.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <cstring>
#include <vector>

namespace weft::detail {

namespace {

std::string reason_of(unsigned long e) {
  if (ERR_SYSTEM_ERROR(e)) return errno_text(ERR_GET_REASON(e));
  if (const char* r = ERR_reason_error_string(e)) return r;
  return "OpenSSL error " + std::to_string(e);
}

// A word on what a reason means, where OpenSSL's own is terse.
std::string hint(const SSL* ssl, unsigned long e) {
  if (ERR_GET_LIB(e) != ERR_LIB_SSL || ERR_SYSTEM_ERROR(e)) return {};
  const int r = ERR_GET_REASON(e);
  switch (r) {
    case SSL_R_CERTIFICATE_VERIFY_FAILED: {
      const long v = ssl != nullptr ? SSL_get_verify_result(ssl) : X509_V_OK;
      return v != X509_V_OK ? std::string(" (") + X509_verify_cert_error_string(v) + ")"
                            : std::string();
    }
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
      return " (the peer does not speak TLS)";
    case SSL_R_NO_APPLICATION_PROTOCOL:
      return " (no ALPN protocol in common)";
    default:
      return r >= SSL_AD_REASON_OFFSET ? " (an alert from the peer)" : std::string();
  }
}

}  // namespace

std::string openssl_reasons() {
  std::string why = tls_failure(nullptr, SSL_ERROR_SSL, 0).why;
  return why.empty() ? "unknown error" : why;
}

TlsFailure tls_failure(const SSL* ssl, int ssl_error, int sys_errno) {
  TlsFailure f;
  std::vector<std::string> seen;
  while (const unsigned long e = ERR_get_error()) {
    if (ERR_GET_LIB(e) == ERR_LIB_SSL && !ERR_SYSTEM_ERROR(e) &&
        ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
      f.unexpected_eof = true;
    }
    std::string r = reason_of(e) + hint(ssl, e);
    bool dup = false;
    for (const auto& s : seen) dup |= s == r;
    if (dup) continue;
    if (!f.why.empty()) f.why += "; ";
    f.why += r;
    seen.push_back(std::move(r));
  }
  if (sys_errno != 0) {
    f.error_number = sys_errno;
    if (f.why.empty()) f.why = errno_text(sys_errno);
  }
  if (f.why.empty() && ssl != nullptr) {
    f.why = ssl_error == SSL_ERROR_SYSCALL ? "the connection ended in the middle of a TLS message"
                                           : "TLS error " + std::to_string(ssl_error);
  }
  return f;
}

}  // namespace weft::detail
