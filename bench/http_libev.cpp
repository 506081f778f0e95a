// The http benchmark's peer and floor: the same "hello" responses from a
// server written directly on libev callbacks and http-parser, one ev_io per
// connection (parse what arrived, append the responses, write them).

#include <ev.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "bench/libev_floor.hpp"
#include "bench/libev_servers.hpp"

namespace {

const std::string kHello =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nHello, World!\n";
const std::string kMissing =
    "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nNot Found\n";

struct Conn {
  ev_io w;  // first member: the callback casts back
  http_parser parser;
  std::string url;
  std::string out;
  std::size_t out_off = 0;
};

http_parser_settings g_settings;

void close_conn(struct ev_loop* loop, Conn* c) {
  ev_io_stop(loop, &c->w);
  ::close(c->w.fd);
  delete c;
}

void set_events(struct ev_loop* loop, Conn* c, int events) {
  if ((c->w.events & (EV_READ | EV_WRITE)) == events) return;
  ev_io_stop(loop, &c->w);
  ev_io_set(&c->w, c->w.fd, events);
  ev_io_start(loop, &c->w);
}

void flush(struct ev_loop* loop, Conn* c) {
  while (c->out_off < c->out.size()) {
    const ssize_t n = ::write(c->w.fd, c->out.data() + c->out_off, c->out.size() - c->out_off);
    if (n < 0) {
      if (errno == EAGAIN) return set_events(loop, c, EV_WRITE);
      return close_conn(loop, c);
    }
    c->out_off += static_cast<std::size_t>(n);
  }
  c->out.clear();
  c->out_off = 0;
  set_events(loop, c, EV_READ);
}

void on_conn(struct ev_loop* loop, ev_io* w, int revents) {
  auto* c = reinterpret_cast<Conn*>(w);
  if (revents & EV_WRITE) return flush(loop, c);
  char buf[8192];
  const ssize_t n = ::read(w->fd, buf, sizeof buf);
  if (n < 0 && errno == EAGAIN) return;
  if (n <= 0) return close_conn(loop, c);
  const std::size_t used = http_parser_execute(&c->parser, &g_settings, buf, static_cast<std::size_t>(n));
  if (c->parser.http_errno != HPE_OK || used != static_cast<std::size_t>(n)) return close_conn(loop, c);
  flush(loop, c);
}

void on_accept(struct ev_loop* loop, ev_io* w, int) {
  for (;;) {
    const int fd = ::accept4(w->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto* c = new Conn;
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    ev_io_init(&c->w, on_conn, fd, EV_READ);
    ev_io_start(loop, &c->w);
  }
}

}  // namespace

// Serves the hello routes on `listen_fd` until the process is killed.
int run_libev_http(int listen_fd) {
  http_parser_settings_init(&g_settings);
  g_settings.on_message_begin = [](http_parser* p) {
    static_cast<Conn*>(p->data)->url.clear();
    return 0;
  };
  g_settings.on_url = [](http_parser* p, const char* at, std::size_t n) {
    static_cast<Conn*>(p->data)->url.append(at, n);
    return 0;
  };
  g_settings.on_message_complete = [](http_parser* p) {
    auto* c = static_cast<Conn*>(p->data);
    c->out += c->url == "/" ? kHello : kMissing;
    return 0;
  };
  return bench::run_libev_acceptor(listen_fd, on_accept);
}
