#pragma once
// The state of one TLS connection behind TlsStream. Private to io/.

#include <openssl/ssl.h>

#include <exception>
#include <utility>

#include "weft/io/tls_context.hpp"

namespace weft::detail {

struct TlsSession {
  explicit TlsSession(TlsContext c) : context(std::move(c)) {}
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;
  ~TlsSession() { SSL_free(ssl); }  // frees the BIO too

  TlsContext context;     // keeps the SSL_CTX (and an SNI choice's) alive
  SSL* ssl = nullptr;     // owned
  int fd = -1;            // the socket's fd, which the BIO reads and writes
  int sys_errno = 0;      // errno of the BIO's last failed system call (0: none)
  bool got_data = false;          // the BIO has read something from the peer
  bool eof = false;               // the BIO's last read found the end of the stream
  bool handshake_done = false;
  bool failed = false;            // a fatal TLS error: no close_notify any more
  bool write_failed = false;      // a write failed midway: later writes throw
  bool close_sent = false;
  // What a callback of ours (SNI) threw inside OpenSSL: rethrown by the handshake.
  std::exception_ptr callback_error;
};

// A BIO on `s->fd`: read(2) and send(MSG_NOSIGNAL), non-blocking, recording
// EAGAIN and errno in `s`. Throws TlsError when OpenSSL cannot make it.
BIO* make_socket_bio(TlsSession* s);

}  // namespace weft::detail
