// The http benchmarks' floor: the same "hello" responses as weft's server
// from http-parser (the parser weft::http uses) on raw libev callbacks. The
// HTTP part is a FloorSession (libev_servers.hpp): over plain TCP here (one
// ev_io per connection: parse what arrived, append the responses, write
// them), over TLS in tls_libev.cpp (the https floor).

#include <ev.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "bench/libev_floor.hpp"
#include "bench/libev_servers.hpp"

namespace {

const std::string kHello =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nHello, World!\n";
const std::string kHelloClose =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\nConnection: close\r\n\r\n"
    "Hello, World!\n";
const std::string kMissing =
    "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nNot Found\n";
const std::string kMissingClose =
    "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nConnection: close"
    "\r\n\r\nNot Found\n";

std::atomic<long>* g_responses = nullptr;

const http_parser_settings& settings();

// One connection's HTTP: the parser, the target being read, and where the
// responses go while on_data runs.
class HttpSession final : public bench::FloorSession {
 public:
  HttpSession() {
    http_parser_init(&parser_, HTTP_REQUEST);
    parser_.data = this;
  }
  bool on_data(const char* data, std::size_t n, std::string& out) override {
    out_ = &out;
    const std::size_t used = http_parser_execute(&parser_, &settings(), data, n);
    // Paused after a "Connection: close" request: what follows is not read.
    return close_after || (parser_.http_errno == HPE_OK && used == n);
  }

  static int on_message_begin(http_parser* p) {
    static_cast<HttpSession*>(p->data)->url_.clear();
    return 0;
  }
  static int on_url(http_parser* p, const char* at, std::size_t n) {
    static_cast<HttpSession*>(p->data)->url_.append(at, n);
    return 0;
  }
  static int on_message_complete(http_parser* p) {
    auto* s = static_cast<HttpSession*>(p->data);
    const bool close = http_should_keep_alive(p) == 0;
    const bool found = s->url_ == "/";
    s->out_->append(found ? (close ? kHelloClose : kHello) : (close ? kMissingClose : kMissing));
    if (g_responses != nullptr) g_responses->fetch_add(1, std::memory_order_relaxed);
    if (close) {
      s->close_after = true;
      http_parser_pause(p, 1);  // nothing after it is read
    }
    return 0;
  }

 private:
  http_parser parser_;
  std::string url_;
  std::string* out_ = nullptr;
};

const http_parser_settings& settings() {
  static const http_parser_settings s = [] {
    http_parser_settings v;
    http_parser_settings_init(&v);
    v.on_message_begin = HttpSession::on_message_begin;
    v.on_url = HttpSession::on_url;
    v.on_message_complete = HttpSession::on_message_complete;
    return v;
  }();
  return s;
}

// ---------------------------------------------------------------- plain TCP

struct Conn {
  ev_io w;  // first member: the callback casts back
  HttpSession http;
  std::string out;
  std::size_t out_off = 0;
};

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
  if (c->http.close_after) return close_conn(loop, c);
  set_events(loop, c, EV_READ);
}

void on_conn(struct ev_loop* loop, ev_io* w, int revents) {
  auto* c = reinterpret_cast<Conn*>(w);
  if (revents & EV_WRITE) return flush(loop, c);
  char buf[8192];
  const ssize_t n = ::read(w->fd, buf, sizeof buf);
  if (n < 0 && errno == EAGAIN) return;
  if (n <= 0) return close_conn(loop, c);
  if (!c->http.on_data(buf, static_cast<std::size_t>(n), c->out)) return close_conn(loop, c);
  flush(loop, c);
}

void on_accept(struct ev_loop* loop, ev_io* w, int) {
  for (;;) {
    const int fd = ::accept4(w->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto* c = new Conn;
    ev_io_init(&c->w, on_conn, fd, EV_READ);
    ev_io_start(loop, &c->w);
  }
}

}  // namespace

std::unique_ptr<bench::FloorSession> make_http_session() { return std::make_unique<HttpSession>(); }

void count_http_responses(std::atomic<long>* counter) { g_responses = counter; }

// Serves the hello routes on `listen_fd` until the process is killed.
int run_libev_http(int listen_fd) { return bench::run_libev_acceptor(listen_fd, on_accept); }
