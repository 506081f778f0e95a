#pragma once
// OpenSSL's errors in words. Private to io/.

#include <openssl/ssl.h>

#include <string>

namespace weft::detail {

// The reasons in this thread's OpenSSL error queue, oldest first, joined by
// "; " (the queue is emptied): "certificate verify failed". "unknown error"
// when it is empty.
std::string openssl_reasons();

// Why an SSL call on `ssl` failed, SSL_get_error having said `ssl_error`,
// with `sys_errno` the errno the socket BIO saw (0: none). Empties the error
// queue.
struct TlsFailure {
  std::string why;             // "certificate verify failed (hostname mismatch)"
  bool unexpected_eof = false;  // the peer closed the TCP connection without close_notify
  int error_number = 0;        // errno behind it (0: none)
};
TlsFailure tls_failure(const SSL* ssl, int ssl_error, int sys_errno);

}  // namespace weft::detail
