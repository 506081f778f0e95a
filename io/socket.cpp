#include "io/socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sched/errors.hpp"
#include "sched/extension.hpp"
#include "sched/fd_watch.hpp"
#include "io/detail/errno_text.hpp"
#include "sched/park.hpp"

namespace weft {

namespace {

using detail::errno_text;
using detail::LazyDeadline;

bool is_tcp(const Endpoint& e) {
  return e.family() == Endpoint::Family::ipv4 || e.family() == Endpoint::Family::ipv6;
}

int open_socket(const Endpoint& e, const char* purpose) {
  if (e.empty()) {
    throw std::invalid_argument(std::string("weft: cannot ") + purpose + " an empty Endpoint");
  }
  const int fd = ::socket(e.domain(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const int err = errno;
    throw IoError(std::string("weft: cannot create a socket to ") + purpose + " " +
                      e.to_string() + ": " + errno_text(err),
                  err);
  }
  return fd;
}

// SO_RCVBUF / SO_SNDBUF sizes must be positive: Linux takes a negative one as
// "the system maximum", which is never what the caller meant.
void check_buffer_size(int bytes, const char* what) {
  if (bytes <= 0) {
    throw std::invalid_argument(std::string("weft: ") + what + " of " + std::to_string(bytes) +
                                " bytes; a socket buffer size must be positive");
  }
}

// The buffer sizes in options: 0 keeps the system's default, negative is refused.
void check_option_sizes(int recv_buffer, int send_buffer, const char* options) {
  if (recv_buffer < 0) {
    throw std::invalid_argument(std::string("weft: ") + options + "::recv_buffer is " +
                                std::to_string(recv_buffer) +
                                "; use a positive size, or 0 for the default");
  }
  if (send_buffer < 0) {
    throw std::invalid_argument(std::string("weft: ") + options + "::send_buffer is " +
                                std::to_string(send_buffer) +
                                "; use a positive size, or 0 for the default");
  }
}

}  // namespace

Socket::Socket() noexcept = default;

Socket::Socket(int fd) : fd_(fd) {
  if (fd < 0) throw std::invalid_argument("weft: Socket adopting a negative file descriptor");
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
      ::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
    const int err = errno;
    fd_ = -1;
    throw IoError("weft: cannot adopt fd " + std::to_string(fd) + ": " + errno_text(err), err);
  }
}

Socket::Socket(Socket&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      use_send_(o.use_send_),
      drained_(o.drained_),
      accept_nodelay_(o.accept_nodelay_),
      watch_(std::move(o.watch_)),
      peer_(o.peer_) {}

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this == &o) return *this;
  close();
  watch_ = std::move(o.watch_);
  fd_ = std::exchange(o.fd_, -1);
  use_send_ = o.use_send_;
  drained_ = o.drained_;
  accept_nodelay_ = o.accept_nodelay_;
  peer_ = o.peer_;
  return *this;
}

Socket::~Socket() { close(); }

// ---------------------------------------------------------------- describing

std::string Socket::describe() const {
  if (!peer_.empty()) return peer_.to_string();
  if (fd_ >= 0) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      try {
        const Endpoint e = Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
        if (e.family() != Endpoint::Family::unix_path || !e.address().empty()) {
          return e.to_string();
        }
      } catch (const std::invalid_argument&) {
        // not a socket of ours: fall through to the fd number
      }
    }
    return "fd " + std::to_string(fd_);
  }
  return "a closed socket";
}

namespace {

std::string op_text(int op, const std::string& who) {
  switch (op) {
    case 0:
      return "read from " + who;
    case 1:
      return "write to " + who;
    case 2:
      return "accept on " + who;
    case 3:
      return "connect to " + who;
    case 4:
      return "wait for " + who + " to be readable";
    case 5:
      return "wait for " + who + " to be writable";
    default:
      return "wait for " + who + " to hang up";
  }
}

}  // namespace

void Socket::throw_not_open(Op op) const {
  throw SocketClosedError("weft: " + op_text(static_cast<int>(op), describe()) +
                          " failed: the socket is closed");
}

void Socket::throw_errno(Op op, int err) const {
  const std::string what = "weft: " + op_text(static_cast<int>(op), describe()) + " failed: ";
  if (err == ECONNRESET) {
    throw ConnectionResetError(what + "the peer reset the connection (ECONNRESET)", err);
  }
  if (err == EPIPE) {
    throw ConnectionResetError(what + (use_send_ ? "the connection is closed for writing (EPIPE)"
                                                 : "its read end is closed: nothing reads what "
                                                   "is written (EPIPE)"),
                               err);
  }
  if (err == EMFILE || err == ENFILE) {
    throw IoError(what + errno_text(err) +
                      "; raise the limit on open files (ulimit -n) or close connections",
                  err);
  }
  throw IoError(what + errno_text(err), err);
}

// ---------------------------------------------------------------- parking

void Socket::give_way() {
  streak_ = 0;
  if (detail::yield_for_poll() == Wake::killed) throw TaskletExit{};
}

FdWake Socket::await(Op op, LazyDeadline& d) {
  streak_ = 0;
  if (!watch_) watch_ = std::make_unique<FdWatch>(fd_, Readiness::edge);  // waits follow EAGAIN
  const bool write = op == Op::write || op == Op::connect || op == Op::wait_write;
  // The deadline is resolved inline: Deadline::from's frame would lie below
  // this one, on a stack line cold at the next wake-up.
  const Deadline& deadline = d.get([](Timeout t) {
    const detail::Fiber* self = detail::running_tasklet();
    return self != nullptr ? detail::resolve_deadline(*self, t)
                           : Deadline::from(t);  // (throws NotInTasklet)
  });
  return watch_->wait(write ? FdEvents::write : FdEvents::read, deadline);
}

void Socket::park(Op op, LazyDeadline& d, std::string_view target) {
  const FdWake w = await(op, d);
  if (!w.ready()) check_wake(op, w, d, target);
}

void Socket::check_wake(Op op, const FdWake& r, LazyDeadline& d, std::string_view target) const {
  if (r.closed) {
    throw SocketClosedError("weft: " + op_text(static_cast<int>(op), describe()) +
                            " failed: the socket was closed while waiting");
  }
  if (r.wake != Wake::ready) {
    weft::check_wake(r.wake, d.get(),
                     op_text(static_cast<int>(op), target.empty() ? describe() : std::string(target)));
  }
  if (r.bad_fd) throw_closed_behind(op);
}

void Socket::throw_closed_behind(Op op) const {
  throw IoError("weft: " + op_text(static_cast<int>(op), describe()) + " failed: " +
                    errno_text(EBADF),
                EBADF);
}

namespace {

// Whether the fd is ready for `events` right now (EBADF: it is not open).
// These two waits may come without an EAGAIN before them, and the socket's
// watch is edge-triggered (it reports readiness that arrives from the wait
// on): ask the fd first.
enum class Now { ready, not_ready, bad_fd };
Now ready_now(int fd, short events) noexcept {
  pollfd p{fd, events, 0};
  int r;
  do {
    r = ::poll(&p, 1, 0);
  } while (r < 0 && errno == EINTR);
  if (r <= 0) return Now::not_ready;
  return (p.revents & POLLNVAL) != 0 ? Now::bad_fd : Now::ready;
}

}  // namespace

void Socket::wait_readable(Timeout t) {
  check_open(Op::wait_read);
  const Now now = ready_now(fd_, POLLIN);
  if (now == Now::bad_fd) throw_closed_behind(Op::wait_read);
  if (now == Now::ready) return;
  LazyDeadline d(read_timeout(t));
  park(Op::wait_read, d);
}

void Socket::wait_writable(Timeout t) {
  check_open(Op::wait_write);
  const Now now = ready_now(fd_, POLLOUT);
  if (now == Now::bad_fd) throw_closed_behind(Op::wait_write);
  if (now == Now::ready) return;
  LazyDeadline d(t);
  park(Op::wait_write, d);
}

void Socket::wait_hang_up(Timeout t) {
  check_open(Op::wait_hang_up);
  LazyDeadline d(t);
  if (!watch_) watch_ = std::make_unique<FdWatch>(fd_, Readiness::edge);
  // The read edges this wait takes are not there for the next read: it
  // makes its system call before it waits (see drained_).
  drained_ = false;
  if (!watch_->edge_triggered()) {  // a regular file: no hang-up to see, only the timeout
    for (;;) {
      weft::check_wake(weft::park(d.get(), WaitKind::fd_read, wait_on_number(fd_)), d.get(),
                       op_text(static_cast<int>(Op::wait_hang_up), describe()));
    }
  }
  // The watch reports a hang-up with a read edge (a new watch: the state the
  // kernel has at its first poll), and bytes arriving are edges too: they
  // wake this wait, which parks again.
  while (!watch_->hung_up()) park(Op::wait_hang_up, d);
}

std::size_t Socket::waiting_readers() const noexcept {
  return watch_ ? watch_->waiting_readers() : 0;
}

std::size_t Socket::waiting_writers() const noexcept {
  return watch_ ? watch_->waiting_writers() : 0;
}

// ---------------------------------------------------------------- reading and writing

long Socket::read_nowait(void* buf, std::size_t n) {
  take_turn();  // before the read: a kill while giving way loses no data
  const ssize_t r = ::read(fd_, buf, n);
  if (__builtin_expect(r < 0, 0)) return read_failed(buf, n);
  return took(r, n);
}

// A read of n bytes returned r >= 0: a short one drained the socket.
inline long Socket::took(long r, std::size_t n) noexcept {
  drained_ = r > 0 && static_cast<std::size_t>(r) < n;
  if (r > 0) took_data();
  return r;
}

long Socket::read_failed(void* buf, std::size_t n) {
  drained_ = false;
  for (;;) {
    const int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK) return -1;
    if (err != EINTR) throw_errno(Op::read, err);
    const ssize_t r = ::read(fd_, buf, n);
    if (r >= 0) return took(r, n);
  }
}

bool Socket::wait_for_edge() const noexcept { return drained_ && !(watch_ && watch_->hung_up()); }

std::size_t Socket::read(void* buf, std::size_t n, LazyDeadline& d) {
  check_open(Op::read);
  if (n == 0) return 0;
  // A short read drained the socket: wait for the next edge before reading
  // again, unless the peer has shut down, since no edge follows the end of
  // the stream that came with the data already read.
  if (wait_for_edge()) {
    const FdWake w = await(Op::read, d);
    if (w.wake == Wake::timed_out && !w.closed) {
      const long r = read_nowait(buf, n);  // the skipped attempt: data may be there after all
      if (r >= 0) return static_cast<std::size_t>(r);
    }
    if (!w.ready()) check_wake(Op::read, w, d);
  }
  for (;;) {
    const long r = read_nowait(buf, n);
    if (r >= 0) return static_cast<std::size_t>(r);
    park(Op::read, d);
  }
}

std::size_t Socket::read(std::span<char> buf, Timeout t) {
  LazyDeadline d(read_timeout(t));
  return read(buf.data(), buf.size(), d);
}

void Socket::read_exactly(void* buf, std::size_t n, LazyDeadline& d, const char* what) {
  auto* p = static_cast<char*>(buf);
  std::size_t got = 0;
  while (got < n) {
    const std::size_t r = read(p + got, n - got, d);
    if (r == 0) {
      throw EofError("weft: " + std::string(what) + " of " + std::to_string(n) + " bytes from " +
                     describe() + " failed: the peer closed the connection after " +
                     std::to_string(got) + " bytes");
    }
    got += r;
  }
}

void Socket::read_exactly(std::span<char> buf, Timeout t) {
  LazyDeadline d(read_timeout(t));
  read_exactly(buf.data(), buf.size(), d, "read_exactly");
}

std::size_t Socket::write(std::string_view data, Timeout t) {
  LazyDeadline d(t);
  return write(data.data(), data.size(), d);
}

namespace {

// One write attempt: send(MSG_NOSIGNAL) on a socket; on ENOTSOCK, `use_send`
// is cleared and every write from then on takes write_without_sigpipe.
inline ssize_t write_once(int fd, bool& use_send, const void* data, std::size_t n) noexcept {
  if (__builtin_expect(use_send, 1)) {
    const ssize_t r = ::send(fd, data, n, MSG_NOSIGNAL);
    if (r >= 0 || errno != ENOTSOCK) return r;
    use_send = false;
  }
  return detail::write_without_sigpipe(fd, data, n);
}

}  // namespace

std::size_t Socket::write(const void* data, std::size_t n, LazyDeadline& d) {
  check_open(Op::write);
  if (n == 0) return 0;
  take_turn();
  for (;;) {
    const ssize_t r = write_once(fd_, use_send_, data, n);
    if (r >= 0) return static_cast<std::size_t>(r);
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK) {
      park(Op::write, d);
      continue;
    }
    throw_errno(Op::write, err);
  }
}

void Socket::write_all(const void* data, std::size_t n, LazyDeadline& d) {
  check_open(Op::write);
  const auto* p = static_cast<const char*>(data);
  std::size_t done = 0;
  while (done < n) {
    const ssize_t r = write_once(fd_, use_send_, p + done, n - done);
    if (r >= 0) {
      done += static_cast<std::size_t>(r);
      continue;
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK) {
      park(Op::write, d);
      continue;
    }
    throw_errno(Op::write, err);
  }
}

void Socket::write_all(std::string_view data, Timeout t) {
  check_open(Op::write);
  // Most writes are taken whole by one system call: then no deadline is made
  // (nor put on the caller's stack, a cold line at each wake-up of a
  // connection when there are thousands).
  const long r = data.empty() ? 0 : write_once(fd_, use_send_, data.data(), data.size());
  if (__builtin_expect(r == static_cast<long>(data.size()), 1)) return;
  write_rest(data, r, t);
}

void Socket::write_rest(std::string_view data, long first, Timeout t) {
  LazyDeadline d(t);
  std::size_t done = 0;
  if (first >= 0) {
    done = static_cast<std::size_t>(first);
  } else {
    const int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK) {
      park(Op::write, d);
    } else if (err != EINTR) {
      throw_errno(Op::write, err);
    }
  }
  write_all(data.data() + done, data.size() - done, d);
}

// ---------------------------------------------------------------- connect, listen, accept

Socket Socket::connect(const Endpoint& to, Timeout t, const SocketOptions& o) {
  LazyDeadline d(t);
  return connect(to, d, o, {});
}

Socket Socket::connect(const Endpoint& to, LazyDeadline& d, const SocketOptions& o,
                       std::string_view target) {
  check_option_sizes(o.recv_buffer, o.send_buffer, "SocketOptions");
  Socket s;
  s.fd_ = open_socket(to, "connect to");
  s.peer_ = to;
  if (is_tcp(to) && o.nodelay) s.set_nodelay(true);
  if (o.recv_buffer > 0) s.set_recv_buffer_size(o.recv_buffer);
  if (o.send_buffer > 0) s.set_send_buffer_size(o.send_buffer);
  for (;;) {
    if (::connect(s.fd_, to.data(), to.size()) == 0) return s;
    const int err = errno;
    if (err == EINPROGRESS || err == EINTR) break;
    if (err == EAGAIN && to.family() == Endpoint::Family::unix_path) {
      // A Unix listener's backlog is full: poll for room every 10 ms until
      // the deadline (there is no readiness to wait for).
      const Deadline& deadline = d.get();
      const std::int64_t now_ns = std::chrono::nanoseconds(weft::now().time_since_epoch()).count();
      if (deadline.ns() <= now_ns) {
        throw_timeout(deadline, op_text(static_cast<int>(Op::connect),
                                        target.empty() ? to.to_string() : std::string(target)));
      }
      const Deadline poll = Deadline::at_ns(std::min(deadline.ns(), now_ns + 10'000'000));
      if (weft::park(poll, WaitKind::fd_write, wait_on_number(s.fd_)) == Wake::killed) {
        throw TaskletExit{};
      }
      continue;
    }
    s.throw_errno(Op::connect, err);
  }
  s.park(Op::connect, d, target);
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(s.fd_, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (err != 0) s.throw_errno(Op::connect, err);
  return s;
}

Socket Socket::connect(std::string_view host, std::uint16_t port, Timeout t,
                       const SocketOptions& o) {
  LazyDeadline d(t);
  const std::string target = std::string(host) + " port " + std::to_string(port);
  const std::vector<Endpoint> endpoints =
      Endpoint::resolve(host, port, d.get(), "resolving " + std::string(host));
  std::string errors;
  int last_errno = 0;
  for (const Endpoint& e : endpoints) {
    try {
      return connect(e, d, o, target);
    } catch (const IoError& err) {
      if (!errors.empty()) errors += "; ";
      errors += err.what();
      last_errno = err.error_number();
    }
  }
  throw IoError("weft: connect to " + target + " failed at every address: " + errors, last_errno);
}

Socket Socket::listen(const Endpoint& at, const ListenOptions& o) {
  check_option_sizes(o.recv_buffer, o.send_buffer, "ListenOptions");
  if (o.backlog < 0) {
    throw std::invalid_argument("weft: ListenOptions::backlog is " + std::to_string(o.backlog) +
                                "; it must be 0 or more");
  }
  Socket s;
  s.fd_ = open_socket(at, "listen on");
  const bool tcp = is_tcp(at);
  const std::string where = at.to_string();
  auto fail = [&](const char* step) {
    const int err = errno;
    throw IoError("weft: cannot listen on " + where + ": " + step + " failed: " + errno_text(err),
                  err);
  };
  const int one = 1;
  if (tcp && o.reuseaddr && ::setsockopt(s.fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) {
    fail("SO_REUSEADDR");
  }
  if (o.reuseport && ::setsockopt(s.fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
    fail("SO_REUSEPORT");
  }
  if (at.family() == Endpoint::Family::ipv6) {
    const int v6only = o.v6only ? 1 : 0;
    if (::setsockopt(s.fd_, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) < 0) {
      fail("IPV6_V6ONLY");
    }
  }
  if (o.recv_buffer > 0) s.set_recv_buffer_size(o.recv_buffer);
  if (o.send_buffer > 0) s.set_send_buffer_size(o.send_buffer);
  if (::bind(s.fd_, at.data(), at.size()) < 0) fail("bind");
  if (::listen(s.fd_, o.backlog) < 0) fail("listen");
  s.accept_nodelay_ = tcp && o.nodelay;
  return s;
}

Socket Socket::accept(Timeout t) {
  check_open(Op::accept);
  LazyDeadline d(t);
  // No IO budget here (see streak_): in a burst of connections the kernel's
  // accept queue overflows unless they are taken as fast as they come, and a
  // server stops accepting at its connection limit anyway.
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd =
        ::accept4(fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      Socket c;
      c.fd_ = fd;
      if (len > 0 && ss.ss_family != AF_UNIX) {
        c.peer_ = Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
      }
      if (accept_nodelay_) {
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      }
      return c;
    }
    const int err = errno;
    switch (err) {
      case EINTR:
      case ECONNABORTED:
      case EPROTO:  // Linux passes pending network errors to accept: retry (man accept(2))
        continue;
      case EAGAIN:
#if EAGAIN != EWOULDBLOCK
      case EWOULDBLOCK:
#endif
        park(Op::accept, d);
        continue;
      default:
        throw_errno(Op::accept, err);
    }
  }
}

// ---------------------------------------------------------------- ending

void Socket::shutdown(Shutdown how) {
  check_open(Op::write);
  const int h = how == Shutdown::read ? SHUT_RD : how == Shutdown::write ? SHUT_WR : SHUT_RDWR;
  if (::shutdown(fd_, h) < 0) {
    const int err = errno;
    throw IoError("weft: shutdown of " + describe() + " failed: " + errno_text(err), err);
  }
}

void Socket::close() noexcept {
  if (fd_ < 0) return;
  if (watch_) watch_->close();  // parked tasklets wake and throw SocketClosedError
  ::close(fd_);
  fd_ = -1;
}

void Socket::close_with_reset() noexcept {
  if (fd_ < 0) return;
  const linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close();
}

int Socket::release() noexcept {
  watch_.reset();
  return std::exchange(fd_, -1);
}

// ---------------------------------------------------------------- addresses and options

Endpoint Socket::local_endpoint() const {
  check_open(Op::wait_read);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) < 0) {
    const int err = errno;
    throw IoError("weft: getsockname of fd " + std::to_string(fd_) + " failed: " + errno_text(err),
                  err);
  }
  return Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

Endpoint Socket::peer_endpoint() const {
  if (!peer_.empty()) return peer_;
  check_open(Op::wait_read);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&ss), &len) < 0) {
    const int err = errno;
    throw IoError("weft: getpeername of fd " + std::to_string(fd_) + " failed: " + errno_text(err),
                  err);
  }
  return Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

int Socket::get_int_option(int level, int name, const char* what) const {
  check_open(Op::wait_read);
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(fd_, level, name, &v, &len) < 0) {
    const int err = errno;
    throw IoError(std::string("weft: reading ") + what + " of " + describe() + " failed: " +
                      errno_text(err),
                  err);
  }
  return v;
}

void Socket::set_int_option(int level, int name, int value, const char* what) {
  check_open(Op::wait_write);
  if (::setsockopt(fd_, level, name, &value, sizeof value) < 0) {
    const int err = errno;
    throw IoError(std::string("weft: setting ") + what + " on " + describe() + " failed: " +
                      errno_text(err),
                  err);
  }
}

void Socket::set_nodelay(bool on) { set_int_option(IPPROTO_TCP, TCP_NODELAY, on, "TCP_NODELAY"); }
bool Socket::nodelay() const { return get_int_option(IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY") != 0; }
void Socket::set_reuseaddr(bool on) {
  set_int_option(SOL_SOCKET, SO_REUSEADDR, on, "SO_REUSEADDR");
}
bool Socket::reuseaddr() const {
  return get_int_option(SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR") != 0;
}
void Socket::set_reuseport(bool on) {
  set_int_option(SOL_SOCKET, SO_REUSEPORT, on, "SO_REUSEPORT");
}
bool Socket::reuseport() const {
  return get_int_option(SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT") != 0;
}
void Socket::set_recv_buffer_size(int bytes) {
  check_buffer_size(bytes, "set_recv_buffer_size");
  set_int_option(SOL_SOCKET, SO_RCVBUF, bytes, "SO_RCVBUF");
}
int Socket::recv_buffer_size() const { return get_int_option(SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF"); }
void Socket::set_send_buffer_size(int bytes) {
  check_buffer_size(bytes, "set_send_buffer_size");
  set_int_option(SOL_SOCKET, SO_SNDBUF, bytes, "SO_SNDBUF");
}
int Socket::send_buffer_size() const { return get_int_option(SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF"); }

}  // namespace weft
