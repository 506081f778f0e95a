// The BIO TlsStream's SSL reads and writes through: the socket's fd itself
// (no copy, no buffer of ours), with send(MSG_NOSIGNAL) so that a peer gone
// away is an EPIPE and never a SIGPIPE, and the outcome of each system call
// recorded in the session (EAGAIN: park on readiness; errno: the error to
// report).

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "io/detail/tls_error.hpp"
#include "io/detail/tls_session.hpp"

namespace weft::detail {

namespace {

int bio_read(BIO* b, char* buf, int n) {
  auto* s = static_cast<TlsSession*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  for (;;) {
    const ssize_t r = ::read(s->fd, buf, static_cast<std::size_t>(n));
    s->eof = r == 0;
    if (r > 0) {
      s->got_data = true;
      return static_cast<int>(r);
    }
    if (r == 0) return 0;  // EOF: OpenSSL reports it (close_notify or not)
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      BIO_set_retry_read(b);
      return -1;
    }
    s->sys_errno = errno;
    return -1;
  }
}

int bio_write(BIO* b, const char* data, int n) {
  auto* s = static_cast<TlsSession*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  for (;;) {
    const ssize_t r = ::send(s->fd, data, static_cast<std::size_t>(n), MSG_NOSIGNAL);
    if (r >= 0) return static_cast<int>(r);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      BIO_set_retry_write(b);
      return -1;
    }
    s->sys_errno = errno;
    return -1;
  }
}

long bio_ctrl(BIO* b, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:  // writes go straight to the socket
      return 1;
    case BIO_CTRL_EOF:  // OpenSSL tells a peer that went away from a broken read by it
      return static_cast<TlsSession*>(BIO_get_data(b))->eof ? 1 : 0;
    default:
      return 0;
  }
}

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

// Made once per process, kept for its life (OpenSSL's global state).
BIO_METHOD* socket_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "weft socket");
    if (m == nullptr || BIO_meth_set_read(m, bio_read) != 1 ||
        BIO_meth_set_write(m, bio_write) != 1 || BIO_meth_set_ctrl(m, bio_ctrl) != 1 ||
        BIO_meth_set_create(m, bio_create) != 1) {
      throw TlsError("weft: making OpenSSL's socket BIO failed: " + openssl_reasons());
    }
    return m;
  }();
  return method;
}

}  // namespace

BIO* make_socket_bio(TlsSession* s) {
  BIO* b = BIO_new(socket_method());
  if (b == nullptr) throw TlsError("weft: making OpenSSL's socket BIO failed: " + openssl_reasons());
  BIO_set_data(b, s);
  return b;
}

}  // namespace weft::detail
