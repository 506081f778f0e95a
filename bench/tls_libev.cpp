// The TLS floor of the tls and https benchmarks: raw libev callbacks and
// non-blocking OpenSSL on the socket's fd (SSL_set_fd), one state machine
// per connection, as one would write it by hand. What a connection carries
// is a FloorSession (libev_servers.hpp): echo (here, for bench_tls) or HTTP
// (http_libev.cpp, for bench_https).

#include <ev.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "bench/libev_floor.hpp"
#include "bench/libev_servers.hpp"

namespace {

SSL_CTX* g_ctx = nullptr;
bench::SessionFactory g_make = nullptr;

// Echo: every byte read is written back.
class EchoSession final : public bench::FloorSession {
 public:
  bool on_data(const char* data, std::size_t n, std::string& out) override {
    out.append(data, n);
    return true;
  }
};

struct Conn {
  ev_io io;  // first: the watcher's address is the connection's
  SSL* ssl = nullptr;
  std::unique_ptr<bench::FloorSession> session;
  bool shaken = false;
  std::string out;  // the answer to what was read, not yet written (a write to retry)
  char buf[4096];
};

void close_conn(struct ev_loop* loop, Conn* c) {
  ev_io_stop(loop, &c->io);
  SSL_free(c->ssl);
  ::close(c->io.fd);
  delete c;
}

// Waits for what OpenSSL wants (SSL_ERROR_WANT_READ / WANT_WRITE).
void want(struct ev_loop* loop, Conn* c, int err) {
  const int events = err == SSL_ERROR_WANT_WRITE ? EV_WRITE : EV_READ;
  if (c->io.events == events) return;
  ev_io_stop(loop, &c->io);
  ev_io_set(&c->io, c->io.fd, events);
  ev_io_start(loop, &c->io);
}

void on_conn(struct ev_loop* loop, ev_io* w, int) {
  Conn* c = reinterpret_cast<Conn*>(w);
  if (!c->shaken) {
    const int r = SSL_do_handshake(c->ssl);
    if (r != 1) {
      const int e = SSL_get_error(c->ssl, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return want(loop, c, e);
      return close_conn(loop, c);
    }
    c->shaken = true;
  }
  for (;;) {
    if (!c->out.empty()) {
      // Without SSL_MODE_ENABLE_PARTIAL_WRITE a write is all or nothing.
      const int r = SSL_write(c->ssl, c->out.data(), static_cast<int>(c->out.size()));
      if (r <= 0) {
        const int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return want(loop, c, e);
        return close_conn(loop, c);
      }
      c->out.clear();
    }
    if (c->session->close_after) {
      SSL_shutdown(c->ssl);  // close_notify, then the close
      return close_conn(loop, c);
    }
    const int n = SSL_read(c->ssl, c->buf, sizeof c->buf);
    if (n <= 0) {
      const int e = SSL_get_error(c->ssl, n);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return want(loop, c, e);
      if (e == SSL_ERROR_ZERO_RETURN) SSL_shutdown(c->ssl);  // close_notify back
      return close_conn(loop, c);
    }
    if (!c->session->on_data(c->buf, static_cast<std::size_t>(n), c->out)) {
      return close_conn(loop, c);
    }
  }
}

void on_accept(struct ev_loop* loop, ev_io* w, int) {
  for (;;) {
    const int fd = ::accept4(w->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Conn* c = new Conn;
    c->ssl = SSL_new(g_ctx);
    c->session = g_make();
    SSL_set_fd(c->ssl, fd);
    SSL_set_accept_state(c->ssl);
    ev_io_init(&c->io, on_conn, fd, EV_READ);
    ev_io_start(loop, &c->io);
  }
}

}  // namespace

std::unique_ptr<bench::FloorSession> make_echo_session() { return std::make_unique<EchoSession>(); }

int run_libev_tls(int listen_fd, const std::string& cert, const std::string& key,
                  bench::SessionFactory make) {
  g_make = make;
  g_ctx = SSL_CTX_new(TLS_server_method());
  if (g_ctx == nullptr ||
      SSL_CTX_use_certificate_chain_file(g_ctx, cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(g_ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    std::fprintf(stderr, "bench: the libev TLS server cannot load %s\n", cert.c_str());
    return 1;
  }
  return bench::run_libev_acceptor(listen_fd, on_accept);
}
