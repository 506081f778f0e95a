// The echo benchmark's peer and floor: an echo server written directly on libev
// callbacks (one ev_io per connection, read then write in the callback), the
// way a hand-tuned C event loop does it. bench/ may include ev.h; the library
// may not.

#include <ev.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bench/libev_floor.hpp"
#include "bench/libev_servers.hpp"

namespace {

struct Conn {
  ev_io w;           // first member: the callback casts back
  char buf[4096];
  std::size_t pending_off = 0;  // unwritten bytes (a partial write): [off, len)
  std::size_t pending_len = 0;
};

void close_conn(struct ev_loop* loop, Conn* c) {
  ev_io_stop(loop, &c->w);
  ::close(c->w.fd);
  delete c;
}

// run_libev_echo's hook, called after each echo in on_conn<true> only (the
// floor bench_echo measures is on_conn<false>, which has no such call).
void (*g_on_echo)() = nullptr;

template <bool kHooked>
void on_conn(struct ev_loop* loop, ev_io* w, int revents) {
  auto* c = reinterpret_cast<Conn*>(w);
  if (revents & EV_WRITE) {  // finishing a partial write
    const ssize_t n = ::write(w->fd, c->buf + c->pending_off, c->pending_len - c->pending_off);
    if (n < 0 && errno != EAGAIN) return close_conn(loop, c);
    if (n > 0) c->pending_off += static_cast<std::size_t>(n);
    if (c->pending_off == c->pending_len) {
      ev_io_stop(loop, w);
      ev_io_set(w, w->fd, EV_READ);
      ev_io_start(loop, w);
    }
    return;
  }
  const ssize_t n = ::read(w->fd, c->buf, sizeof c->buf);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return close_conn(loop, c);
  if (n < 0) return;
  const ssize_t m = ::write(w->fd, c->buf, static_cast<std::size_t>(n));
  if constexpr (kHooked) g_on_echo();
  if (m == n) return;
  if (m < 0 && errno != EAGAIN) return close_conn(loop, c);
  c->pending_off = m > 0 ? static_cast<std::size_t>(m) : 0;
  c->pending_len = static_cast<std::size_t>(n);
  ev_io_stop(loop, w);
  ev_io_set(w, w->fd, EV_WRITE);
  ev_io_start(loop, w);
}

template <bool kHooked>
void on_accept(struct ev_loop* loop, ev_io* w, int) {
  for (;;) {
    const int fd = ::accept4(w->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN (or an error: try again at the next readiness)
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto* c = new Conn;
    ev_io_init(&c->w, on_conn<kHooked>, fd, EV_READ);
    ev_io_start(loop, &c->w);
  }
}

}  // namespace

// Serves echo on `listen_fd` (a listening socket) until the process is killed;
// on_echo, when given, is called after each read's echo is written.
int run_libev_echo(int listen_fd, void (*on_echo)()) {
  if (on_echo == nullptr) return bench::run_libev_acceptor(listen_fd, on_accept<false>);
  g_on_echo = on_echo;
  return bench::run_libev_acceptor(listen_fd, on_accept<true>);
}
