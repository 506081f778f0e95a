#include "io/tls_stream.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <stdexcept>

#include "io/detail/tls_context_state.hpp"
#include "io/detail/tls_error.hpp"
#include "io/detail/tls_session.hpp"
#include "sched/errors.hpp"
#include "sched/fd_watch.hpp"
#include "sched/park.hpp"

namespace weft {

using detail::LazyDeadline;
using detail::TlsSession;

namespace {

enum class Step { handshake, read, write, shutdown };

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// "read from ", ...: what a message says before the peer's name.
const char* step_verb(Step step) noexcept {
  switch (step) {
    case Step::handshake:
      return "TLS handshake with ";
    case Step::read:
      return "read from ";
    case Step::write:
      return "write to ";
    default:
      return "TLS close_notify to ";
  }
}

std::string step_text(Step step, const std::string& who) { return step_verb(step) + who; }

// OpenSSL's error queue must be empty before an SSL call, for SSL_get_error
// to tell what the call did. It is nearly always empty (a failure takes what
// it finds there into its exception): a look costs less than clearing all
// its slots at every call.
void clear_errors() noexcept {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

}  // namespace

TlsStream::TlsStream(Socket& socket, const TlsContext& context, bool server)
    : socket_(&socket), session_(std::make_unique<TlsSession>(context)) {
  socket.check_open(server ? Socket::Op::accept : Socket::Op::connect);
  TlsSession& s = *session_;
  s.fd = socket.fd();
  ERR_clear_error();
  s.ssl = SSL_new(detail::context_state(context).ctx);
  if (s.ssl == nullptr) {
    throw TlsError("weft: creating a TLS connection with " + describe() +
                   " failed: " + detail::openssl_reasons());
  }
  BIO* bio = detail::make_socket_bio(&s);
  SSL_set_bio(s.ssl, bio, bio);  // the SSL owns it from here
  SSL_set_app_data(s.ssl, &s);
  if (server) {
    SSL_set_accept_state(s.ssl);
  } else {
    SSL_set_connect_state(s.ssl);
  }
}

TlsStream::TlsStream(TlsStream&& o) noexcept = default;
TlsStream& TlsStream::operator=(TlsStream&& o) noexcept = default;
TlsStream::~TlsStream() = default;

std::string TlsStream::describe() const { return socket_->describe(); }

// ---------------------------------------------------------------- handshake

TlsStream TlsStream::connect(Socket& socket, const TlsContext& context, std::string_view host,
                             Timeout t) {
  if (context.is_server()) {
    throw std::invalid_argument("weft: TlsStream::connect with a server context (TlsContext::server)");
  }
  const bool verify = context.options().verify_peer;
  if (host.empty() && verify) {
    throw std::invalid_argument(
        "weft: TlsStream::connect needs the server's host name to verify its certificate");
  }
  TlsStream tls(socket, context, false);
  SSL* ssl = tls.session_->ssl;
  const std::string name(host);
  if (!name.empty()) {
    const bool ip = is_ip_literal(name);
    if (!ip && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
      throw TlsError("weft: setting the TLS server name '" + name +
                     "' failed: " + detail::openssl_reasons());
    }
    if (verify) {
      const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str())
                        : SSL_set1_host(ssl, name.c_str());
      if (ok != 1) {
        throw TlsError("weft: setting the TLS host '" + name +
                       "' to verify failed: " + detail::openssl_reasons());
      }
    }
  }
  tls.handshake(t);
  return tls;
}

TlsStream TlsStream::accept(Socket& socket, const TlsContext& context, Timeout t) {
  if (!context.is_server()) {
    throw std::invalid_argument("weft: TlsStream::accept with a client context (TlsContext::client)");
  }
  TlsStream tls(socket, context, true);
  tls.handshake(t);
  return tls;
}

void TlsStream::handshake(Timeout t) {
  TlsSession& s = *session_;
  LazyDeadline d(t);
  for (;;) {
    clear_errors();
    s.sys_errno = 0;
    const int r = SSL_do_handshake(s.ssl);
    if (r == 1) {
      s.handshake_done = true;
      return;
    }
    const int e = SSL_get_error(s.ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      park(e == SSL_ERROR_WANT_WRITE, d, step_verb(Step::handshake));
      continue;
    }
    if (s.callback_error) {
      s.failed = true;
      ERR_clear_error();
      std::rethrow_exception(std::exchange(s.callback_error, nullptr));
    }
    fail(e, step_text(Step::handshake, describe()), false);
  }
}

// ---------------------------------------------------------------- parking and failing

void TlsStream::park(bool write, LazyDeadline& d, const char* verb) {
  const FdWake w = socket_->await(write ? Socket::Op::write : Socket::Op::read, d);
  if (w.closed) {
    throw SocketClosedError(std::string("weft: ") + verb + describe() +
                            " failed: the socket was closed while waiting");
  }
  // The message is made only when it is needed: a park is on every request's path.
  if (w.wake != Wake::ready) weft::check_wake(w.wake, d.get(), verb + describe());
  if (w.bad_fd) socket_->throw_closed_behind(write ? Socket::Op::write : Socket::Op::read);
}

void TlsStream::fail(int ssl_error, const std::string& what, bool eof_error) {
  TlsSession& s = *session_;
  s.failed = true;
  const detail::TlsFailure f = detail::tls_failure(s.ssl, ssl_error, s.sys_errno);
  std::string msg = "weft: " + what + " failed: ";
  if (f.unexpected_eof) {
    msg += eof_error ? "the peer closed the connection without a TLS close_notify ("
                     : "the peer closed the connection (";
    msg += f.why + ")";
  } else {
    msg += f.why;
  }
  if (f.unexpected_eof && eof_error) throw EofError(msg);
  if (f.error_number == ECONNRESET || f.error_number == EPIPE) {
    throw ConnectionResetError(msg, f.error_number);
  }
  throw TlsError(msg, f.error_number);
}

// ---------------------------------------------------------------- reading

std::size_t TlsStream::read(void* buf, std::size_t n, LazyDeadline& d) {
  socket_->check_open(Socket::Op::read);
  if (n == 0) return 0;
  TlsSession& s = *session_;
  if (s.failed) {
    throw TlsError("weft: read from " + describe() + " failed: the TLS stream failed earlier");
  }
  socket_->take_turn();
  for (;;) {
    clear_errors();
    s.sys_errno = 0;
    std::size_t got = 0;
    const int r = SSL_read_ex(s.ssl, buf, n, &got);
    if (r == 1) {
      socket_->took_data();
      return got;
    }
    const int e = SSL_get_error(s.ssl, r);
    if (e == SSL_ERROR_ZERO_RETURN) return 0;  // close_notify
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      park(e == SSL_ERROR_WANT_WRITE, d, step_verb(Step::read));
      continue;
    }
    fail(e, step_text(Step::read, describe()), true);
  }
}

void TlsStream::wait_readable(LazyDeadline& d) {
  socket_->check_open(Socket::Op::read);
  TlsSession& s = *session_;
  // A one-byte peek reads and decrypts what has come without taking it:
  // plaintext there (or the end, or an error) is read()'s to return.
  for (;;) {
    if (s.failed || SSL_has_pending(s.ssl) == 1) return;
    clear_errors();
    s.sys_errno = 0;
    char c;
    std::size_t got = 0;
    const int r = SSL_peek_ex(s.ssl, &c, 1, &got);
    if (r == 1) return;
    const int e = SSL_get_error(s.ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      ERR_clear_error();  // read() meets it again and reports it
      return;
    }
    park(e == SSL_ERROR_WANT_WRITE, d, step_verb(Step::read));
  }
}

std::size_t TlsStream::read(std::span<char> buf, Timeout t) {
  LazyDeadline d(socket_->read_timeout(t));
  return read(buf.data(), buf.size(), d);
}

void TlsStream::read_exactly(std::span<char> buf, Timeout t) {
  LazyDeadline d(socket_->read_timeout(t));
  std::size_t got = 0;
  while (got < buf.size()) {
    const std::size_t r = read(buf.data() + got, buf.size() - got, d);
    if (r == 0) {
      throw EofError("weft: read_exactly of " + std::to_string(buf.size()) + " bytes from " +
                     describe() + " failed: the peer ended the TLS stream after " +
                     std::to_string(got) + " bytes");
    }
    got += r;
  }
}

// ---------------------------------------------------------------- writing

std::size_t TlsStream::write(const void* data, std::size_t n, LazyDeadline& d) {
  socket_->check_open(Socket::Op::write);
  if (n == 0) return 0;
  TlsSession& s = *session_;
  if (s.write_failed || s.failed) {
    throw TlsError("weft: write to " + describe() + " failed: " +
                   (s.failed ? "the TLS stream failed earlier"
                             : "an earlier write failed midway, and TLS cannot resume it"));
  }
  socket_->take_turn();
  // A write that does not return leaves half a record in OpenSSL, which only
  // the same call could finish: from then on the stream takes no writes.
  struct Failed {
    TlsSession& s;
    bool ok = false;
    ~Failed() {
      if (!ok) s.write_failed = true;
    }
  } guard{s};
  for (;;) {
    clear_errors();
    s.sys_errno = 0;
    std::size_t put = 0;
    const int r = SSL_write_ex(s.ssl, data, n, &put);
    if (r == 1) {
      guard.ok = true;
      return put;
    }
    const int e = SSL_get_error(s.ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      park(e == SSL_ERROR_WANT_WRITE, d, step_verb(Step::write));
      continue;
    }
    fail(e, step_text(Step::write, describe()), false);
  }
}

std::size_t TlsStream::write(std::string_view data, Timeout t) {
  LazyDeadline d(t);
  return write(data.data(), data.size(), d);
}

void TlsStream::write_all(std::string_view data, Timeout t) {
  LazyDeadline d(t);
  std::size_t done = 0;
  while (done < data.size()) done += write(data.data() + done, data.size() - done, d);
}

// ---------------------------------------------------------------- ending

void TlsStream::shutdown(Timeout t) {
  socket_->check_open(Socket::Op::write);
  TlsSession& s = *session_;
  if (s.close_sent) return;
  if (!s.handshake_done || s.failed || s.write_failed) {
    throw TlsError("weft: " + step_text(Step::shutdown, describe()) + " failed: " +
                   (s.handshake_done ? "the TLS stream failed earlier" : "no handshake was made"));
  }
  LazyDeadline d(t);
  for (;;) {
    clear_errors();
    s.sys_errno = 0;
    const int r = SSL_shutdown(s.ssl);  // 0: sent (the peer's not read yet); 1: both done
    if (r >= 0) {
      s.close_sent = true;
      return;
    }
    const int e = SSL_get_error(s.ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      park(e == SSL_ERROR_WANT_WRITE, d, step_verb(Step::shutdown));
      continue;
    }
    fail(e, step_text(Step::shutdown, describe()), false);
  }
}

void TlsStream::close(Timeout t) {
  struct CloseSocket {
    Socket& s;
    ~CloseSocket() { s.close(); }
  } closer{*socket_};
  const TlsSession& s = *session_;
  if (!socket_->is_open() || !s.handshake_done || s.failed || s.write_failed || s.close_sent) {
    return;
  }
  try {
    shutdown(t);
  } catch (const IoError&) {
    // the peer is gone or broke the protocol: the connection ends anyway
  }
}

// ---------------------------------------------------------------- what was agreed

std::string TlsStream::alpn_protocol() const {
  const unsigned char* p = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(session_->ssl, &p, &len);
  return p != nullptr ? std::string(reinterpret_cast<const char*>(p), len) : std::string();
}

std::string TlsStream::server_name() const {
  const char* n = SSL_get_servername(session_->ssl, TLSEXT_NAMETYPE_host_name);
  return n != nullptr ? n : "";
}

std::string TlsStream::protocol_version() const { return SSL_get_version(session_->ssl); }

std::string TlsStream::cipher() const {
  const SSL_CIPHER* c = SSL_get_current_cipher(session_->ssl);
  return c != nullptr ? SSL_CIPHER_get_name(c) : "";
}

std::string TlsStream::peer_subject() const {
  X509* cert = SSL_get0_peer_certificate(session_->ssl);
  if (cert == nullptr) return {};
  BIO* b = BIO_new(BIO_s_mem());
  if (b == nullptr) return {};
  X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* p = nullptr;
  const long len = BIO_get_mem_data(b, &p);
  std::string out(p, static_cast<std::size_t>(len > 0 ? len : 0));
  BIO_free(b);
  return out;
}

bool TlsStream::peer_closed() const noexcept {
  return (SSL_get_shutdown(session_->ssl) & SSL_RECEIVED_SHUTDOWN) != 0;
}

}  // namespace weft
