#pragma once
// Socket: a stream socket (TCP over IPv4/IPv6, or Unix) whose calls look
// blocking but only park the calling tasklet.
//
//   weft::Socket s = weft::Socket::connect(weft::Endpoint::ip("127.0.0.1", 7), 2.0);
//   s.write_all("ping\n");
//   char buf[64];
//   std::size_t n = s.read(buf, sizeof buf, 1.0);  // 0 at EOF
//
// IO is optimistic: each call tries the system call first and parks on the
// fd's readiness (sched/fd_watch.hpp) only when it would block. Every call
// that may park takes a Timeout (default: the enclosing DeadlineScope) and
// throws TimeoutError when it passes, TaskletExit when the tasklet is killed.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "weft/io/endpoint.hpp"
#include "weft/io/errors.hpp"
#include "weft/io/detail/lazy_deadline.hpp"
#include "weft/sched/timeout.hpp"

namespace weft {

class FdWatch;
struct FdWake;
class BufferedStream;

// Options of a connecting socket.
struct SocketOptions {
  // TCP_NODELAY (TCP only): small writes leave at once.
  bool nodelay = true;
  // SO_RCVBUF / SO_SNDBUF in bytes; 0 keeps the system's default (negative:
  // connect throws std::invalid_argument).
  int recv_buffer = 0;
  int send_buffer = 0;
};

// Options of a listening socket (negative sizes: listen throws std::invalid_argument).
struct ListenOptions {
  // Length of the kernel's queue of connections not yet accepted.
  int backlog = 1024;
  // SO_REUSEADDR: rebind a port whose old connections are in TIME_WAIT.
  bool reuseaddr = true;
  // SO_REUSEPORT: several listeners share one port.
  bool reuseport = false;
  // IPV6_V6ONLY for IPv6 endpoints (false: "::" accepts IPv4 as well).
  bool v6only = false;
  // TCP_NODELAY on every accepted socket (TCP only).
  bool nodelay = true;
  // SO_RCVBUF / SO_SNDBUF set on the listener (accepted sockets inherit them); 0: default.
  int recv_buffer = 0;
  int send_buffer = 0;
};

// Which direction shutdown() ends.
enum class Shutdown { read, write, both };

// Owns one non-blocking stream socket (RAII: the destructor closes it).
// Move-only. Loop-thread only. Any number of tasklets may park on one socket
// (e.g. a reader and a writer). Preconditions: it is destroyed, moved or
// assigned only while no tasklet is parked in it, and, once it has parked,
// on its loop before that loop ends.
class alignas(32) Socket {
 public:
  // An empty socket (is_open() false).
  Socket() noexcept;
  // Adopts a socket (or pipe) fd: makes it non-blocking and close-on-exec and
  // closes it on destruction. Throws std::invalid_argument for fd < 0.
  explicit Socket(int fd);
  // Takes o's fd (o becomes empty).
  Socket(Socket&& o) noexcept;
  // Closes what this socket held, then takes o's.
  Socket& operator=(Socket&& o) noexcept;
  // Closes the fd (see close()).
  ~Socket();

  // Connects to `to` (TCP or Unix). Throws IoError (refused, unreachable...),
  // TimeoutError, TaskletExit; a killed or timed-out connect closes its fd.
  // Must be called in a tasklet.
  static Socket connect(const Endpoint& to, Timeout t = current, const SocketOptions& o = {});
  // Resolves `host` off the loop, then tries its addresses in order under one
  // deadline until one connects; the error names every address tried. Throws
  // ResolveError, IoError, TimeoutError, TaskletExit. Must be called in a tasklet.
  static Socket connect(std::string_view host, std::uint16_t port, Timeout t = current,
                        const SocketOptions& o = {});
  // Binds and listens (port 0: any free port, see local_endpoint()). A Unix
  // path must not exist yet. Throws IoError (e.g. the address is in use),
  // std::invalid_argument for an empty endpoint or negative option sizes.
  static Socket listen(const Endpoint& at, const ListenOptions& o = {});

  // Accepts one connection (non-blocking, close-on-exec, TCP_NODELAY as the
  // listener's options say). Throws IoError (EMFILE/ENFILE when out of file
  // descriptors: error_number() tells), SocketClosedError, TimeoutError,
  // TaskletExit. Precondition: a listening socket. Must be called in a tasklet.
  Socket accept(Timeout t = current);

  // Reads up to buf.size() bytes, parking until at least one is there.
  // Returns 0 at EOF (and for an empty buf). Throws ConnectionResetError,
  // SocketClosedError, IoError, TimeoutError, TaskletExit.
  std::size_t read(std::span<char> buf, Timeout t = current);
  // Writes some of data (at least one byte, parking until the socket takes
  // any) and returns how many; 0 for empty data. Throws ConnectionResetError
  // (the peer is gone), SocketClosedError, IoError, TimeoutError, TaskletExit.
  std::size_t write(std::string_view data, Timeout t = current);
  // Fills buf exactly, under one deadline. Throws EofError (saying how many
  // bytes arrived) when the peer closes first, and what read() throws.
  void read_exactly(std::span<char> buf, Timeout t = current);
  // Writes all of data under one deadline. Throws what write() throws.
  void write_all(std::string_view data, Timeout t = current);

  // Parks until the socket is readable (data, EOF or an error is pending).
  // Throws SocketClosedError, TimeoutError, TaskletExit.
  void wait_readable(Timeout t = current);

  // Parks until the peer has gone: it shut down its sending side or reset
  // the connection, or the socket has an error (what a read finds, EOF or an
  // error, once it has taken the bytes before it). Reads nothing, and bytes
  // that arrive meanwhile do not end the wait: for a server that has stopped
  // reading (a bound on its pending work) and must still notice a client
  // that leaves. Returns at once when the peer has gone already. On an fd
  // that cannot tell (a regular file) it waits for the timeout. Throws
  // SocketClosedError, TimeoutError, TaskletExit. Must be called in a tasklet.
  void wait_hang_up(Timeout t = current);

  // Bounds how long a read called with the default timeout (`current`) waits:
  // `first_bytes` until a read has returned data, `idle` after that (zero: no
  // bound). It applies to each call (read, read_exactly, wait_readable and
  // BufferedStream's reads), within any enclosing DeadlineScope; a call given
  // its own timeout is not bounded by it. serve() sets them on every
  // connection from ServerOptions.
  void set_read_timeouts(std::chrono::nanoseconds first_bytes,
                         std::chrono::nanoseconds idle) noexcept {
    first_bytes_ns_ = first_bytes.count();
    idle_ns_ = idle.count();
    read_bound_ns_ = got_data_ ? idle_ns_ : first_bytes_ns_;
  }
  // The timeout a read called with `t` waits under (see set_read_timeouts).
  Timeout read_timeout(Timeout t) const noexcept {
    if (t.kind() != Timeout::Kind::current) return t;
    const std::int64_t bound = read_bound_ns_;
    return bound > 0 ? Timeout(std::chrono::nanoseconds(bound)) : t;
  }
  // Parks until the socket is writable. Throws as wait_readable.
  void wait_writable(Timeout t = current);

  // Ends one or both directions (the peer reads EOF after a write shutdown).
  // Throws IoError (e.g. ENOTCONN) and SocketClosedError.
  void shutdown(Shutdown how = Shutdown::write);
  // Closes the fd. Tasklets parked in this socket wake with SocketClosedError;
  // later calls throw it too. Idempotent.
  void close() noexcept;
  // Closes with a TCP reset (SO_LINGER 0): the peer's next call fails with
  // ConnectionResetError. Idempotent.
  void close_with_reset() noexcept;
  // Gives up ownership of the fd (the socket becomes empty) and returns it.
  // Precondition: no tasklet is parked in it.
  int release() noexcept;

  bool is_open() const noexcept { return fd_ >= 0; }
  // The fd (-1 when closed or empty).
  int fd() const noexcept { return fd_; }
  // The bound address (getsockname). Throws IoError, SocketClosedError.
  Endpoint local_endpoint() const;
  // The connected peer: recorded at connect/accept, else getpeername. Throws
  // IoError (ENOTCONN), SocketClosedError.
  Endpoint peer_endpoint() const;

  // Socket options. Setters throw IoError (e.g. nodelay on a Unix socket) and
  // SocketClosedError; getters read the kernel's value.
  void set_nodelay(bool on);
  bool nodelay() const;
  void set_reuseaddr(bool on);
  bool reuseaddr() const;
  void set_reuseport(bool on);
  bool reuseport() const;
  // SO_RCVBUF / SO_SNDBUF. Linux doubles the value set and reports the doubled one.
  // Setters throw std::invalid_argument for a size that is not positive.
  void set_recv_buffer_size(int bytes);
  int recv_buffer_size() const;
  void set_send_buffer_size(int bytes);
  int send_buffer_size() const;

  // How many tasklets are parked reading / writing (accept and connect count
  // as reading / writing).
  std::size_t waiting_readers() const noexcept;
  std::size_t waiting_writers() const noexcept;

 private:
  friend class BufferedStream;
  friend class TlsStream;
  enum class Op : std::uint8_t { read, write, accept, connect, wait_read, wait_write, wait_hang_up };

  // A read that never parks: bytes read, 0 at EOF, -1 when it would block.
  long read_nowait(void* buf, std::size_t n);
  // read_nowait's system call failed (errno says why): retries after EINTR,
  // -1 for EAGAIN, throws for the rest.
  long read_failed(void* buf, std::size_t n);
  long took(long r, std::size_t n) noexcept;  // a read returned r >= 0
  std::size_t read(void* buf, std::size_t n, detail::LazyDeadline& d);
  std::size_t write(const void* data, std::size_t n, detail::LazyDeadline& d);
  void read_exactly(void* buf, std::size_t n, detail::LazyDeadline& d, const char* what);
  void write_all(const void* data, std::size_t n, detail::LazyDeadline& d);
  // write_all(data, t) after its first attempt returned `first` (< 0: it
  // failed, errno says why): the rest, under one deadline. Out of line.
  [[gnu::noinline]] void write_rest(std::string_view data, long first, Timeout t);
  // Connects to `to` under d, which connect(host, port) shares across the
  // addresses it tries; a timeout names `target` (the endpoint when empty).
  static Socket connect(const Endpoint& to, detail::LazyDeadline& d, const SocketOptions& o,
                        std::string_view target);
  // Parks for readiness under d and says how the wait ended.
  FdWake await(Op op, detail::LazyDeadline& d);
  // Throws what a wait's end means for `op`: SocketClosedError, TaskletExit,
  // the TimeoutError for `op` on `target` (default: describe()), IoError (EBADF).
  void check_wake(Op op, const FdWake& r, detail::LazyDeadline& d,
                  std::string_view target = {}) const;
  // await() then check_wake().
  void park(Op op, detail::LazyDeadline& d, std::string_view target = {});
  void check_open(Op op) const {
    if (__builtin_expect(fd_ < 0, 0)) throw_not_open(op);
  }
  [[noreturn]] void throw_not_open(Op op) const;
  [[noreturn]] void throw_errno(Op op, int err) const;
  // The IoError (EBADF) of an fd closed behind the socket's back.
  [[noreturn]] void throw_closed_behind(Op op) const;
  // Counts an IO call; past the budget, yields to the loop first (see
  // streak_). Throws TaskletExit when killed meanwhile.
  void take_turn() {
    if (__builtin_expect(++streak_ > kIoBudget, 0)) give_way();
  }
  void give_way();
  std::string describe() const;
  int get_int_option(int level, int name, const char* what) const;
  void set_int_option(int level, int name, int value, const char* what);

  // What a read or write touches comes first, in 32 bytes (the class is
  // aligned to them, so they never straddle two cache lines): with
  // thousands of connections the socket has left the cache by its next
  // wake-up, and each line it spreads over is one more miss.
  int fd_ = -1;
  bool use_send_ = true;          // send(MSG_NOSIGNAL); cleared for fds that are not sockets
  // The last read returned less than asked: the kernel buffer was drained, so
  // the next read most likely finds nothing. It waits for readiness first
  // instead of spending a system call on EAGAIN (Tokio clears readiness the
  // same way). Correct with the edge-triggered watch too: the buffer was
  // empty at that read, so whatever arrives after it is reported. Except the
  // end of the stream: once the peer has shut down no edge comes again, and
  // its FIN may have come with the data that read took (wait_for_edge()).
  bool drained_ = false;
  // Whether the next read waits for readiness before its system call.
  bool wait_for_edge() const noexcept;
  bool got_data_ = false;  // a read has returned data (read_timeout: idle, not first_bytes);
                           // set it with took_data()
  bool accept_nodelay_ = false;   // listeners: TCP_NODELAY on accepted sockets
  // IO calls since this socket last parked or gave way. A socket whose reads
  // and writes keep succeeding (a peer streaming as fast as it can) never
  // parks: every kIoBudget calls it yields, and the loop polls before it runs
  // again, so other connections, timers and signals get their turn.
  std::uint32_t streak_ = 0;
  static constexpr std::uint32_t kIoBudget = 32;
  std::unique_ptr<FdWatch> watch_;  // created at the first park
  std::int64_t read_bound_ns_ = 0;  // what read_timeout() applies: first_bytes_ns_ until
                                    // got_data_, then idle_ns_
  std::int64_t idle_ns_ = 0;        // set_read_timeouts (0: none)
  std::int64_t first_bytes_ns_ = 0;
  // A read returned data: from now on reads are bounded by idle_ns_.
  void took_data() noexcept {
    if (__builtin_expect(!got_data_, 0)) {
      got_data_ = true;
      read_bound_ns_ = idle_ns_;
    }
  }
  Endpoint peer_;                 // recorded at connect/accept (empty otherwise)
};

}  // namespace weft
