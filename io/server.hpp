#pragma once
// Server: one tasklet per connection, written as plain sequential code.
//
//   auto server = weft::serve(weft::Endpoint::ip("0.0.0.0", 8080), [](weft::Socket& s) {
//     weft::BufferedStream io(s);
//     for (;;) { io.write(io.read_line() + "\n"); io.flush(); }
//   });
//   ...
//   server.stop(5.0);  // stop accepting, give handlers 5 s, then kill them

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "weft/io/endpoint.hpp"
#include "weft/io/socket.hpp"
#include "weft/sched/timeout.hpp"
#include "weft/tasklet/tasklet.hpp"

namespace weft {

class Server;
using ConnectionHandler = std::function<void(Socket&)>;
struct ServerOptions;

namespace detail {
struct ServerState;
// What the loops of a ServerGroup share: connections (reserved slots
// included) against max_connections, and the counts it reports.
struct ConnectionBudget {
  std::atomic<std::size_t> taken{0};     // live connections + acceptors' reserved slots
  std::atomic<std::size_t> live{0};
  std::atomic<std::size_t> accepted{0};
};
// serve() whose connections count against a shared budget (ServerGroup).
Server serve_shared(Socket listener, ConnectionHandler handler, ServerOptions options,
                    std::shared_ptr<ConnectionBudget> budget);
}

// ConnectionHandler: handles one accepted connection, in its own tasklet. The
// server closes the socket when the handler returns (or throws). An IoError
// escaping it (the peer went away) is logged at debug level, any other
// exception as an error.

struct ServerOptions {
  // Names the server's tasklet and its log lines; default "server <endpoint>".
  std::string name;
  // At most this many connections at once (0: no limit). At the limit the
  // server stops accepting, so new connections wait in the kernel's backlog
  // (none is dropped by the server); it resumes as connections close.
  std::size_t max_connections = 10'000;
  // How long the handler's reads (those called with the default timeout) wait
  // for a connection's first bytes, and for more data after that; a read that
  // waits longer throws TimeoutError, which ends the connection (logged at
  // debug level). Zero: no bound. So silent or stalled peers cannot hold a
  // connection's fd and tasklet forever. See Socket::set_read_timeouts.
  std::chrono::milliseconds first_bytes_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  // The listening socket's options (backlog, reuseaddr, reuseport, nodelay...).
  ListenOptions listen;
  // How long accepting pauses when the process (EMFILE) or the system (ENFILE)
  // runs out of file descriptors, or the kernel out of memory, instead of
  // spinning on a listener that stays readable. Must be positive (serve()
  // throws std::invalid_argument otherwise).
  std::chrono::milliseconds accept_backoff{100};
  // Stack reserve of connection tasklets (0: the loop's default).
  std::size_t stack_size = 0;
};

// A running server (a handle: move-only). Its tasklet accepts connections and
// spawns one child tasklet per connection. Loop-thread only.
class Server {
 public:
  // An empty handle.
  Server() noexcept;
  // Takes o's server (o becomes empty).
  Server(Server&& o) noexcept;
  // Stops what this handle ran (as the destructor), then takes o's server.
  Server& operator=(Server&& o);
  // Stops the server if it still runs, with no grace: connection tasklets are
  // killed. Must run in a tasklet (or after the loop ended).
  ~Server();

  // The bound address (a port 0 request shows the port chosen).
  Endpoint endpoint() const;
  // True from serve() until stop() (or the server's tasklet ended).
  bool running() const;
  // Connections being handled now.
  std::size_t connections() const;
  // Connections accepted so far.
  std::size_t accepted() const;
  // Times accepting paused because file descriptors or memory ran out.
  std::size_t accept_backoffs() const;
  // The server's (accepting) tasklet; connection tasklets are its children.
  Tasklet tasklet() const;

  // Graceful stop: stops accepting (the listener is closed), waits up to
  // `grace` for the connection handlers to return, then kills those left.
  // Returns when every connection tasklet has ended. Idempotent. Throws
  // TaskletExit when the caller is killed, std::logic_error when called from
  // one of this server's own tasklets. Must be called in a tasklet.
  void stop(Timeout grace = std::chrono::seconds(5));
  // Waits until the server has stopped (stop() from elsewhere, or its tasklet
  // was killed) and its connections have ended. Throws TimeoutError,
  // TaskletExit. Must be called in a tasklet.
  void join(Timeout t = current);

 private:
  friend Server detail::serve_shared(Socket, ConnectionHandler, ServerOptions,
                                     std::shared_ptr<detail::ConnectionBudget>);
  explicit Server(std::shared_ptr<detail::ServerState> s) noexcept;
  const detail::ServerState& state() const;
  std::shared_ptr<detail::ServerState> state_;
};

// Listens on `at` (throws IoError at once when it cannot, e.g. the address is
// in use) and starts the server's tasklet, a child of the caller, which runs
// `handler` in a new tasklet for each connection. Must be called on a loop
// thread; the returned handle stops the server when it is destroyed.
[[nodiscard]] Server serve(const Endpoint& at, ConnectionHandler handler,
                           ServerOptions options = {});
// The same on a socket that already listens (made by Socket::listen, or
// inherited, e.g. from a parent process or socket activation); its options
// stay as they are, except that accepted TCP sockets get TCP_NODELAY when
// options.listen.nodelay. Throws std::invalid_argument when it is not open or
// not listening.
[[nodiscard]] Server serve(Socket listener, ConnectionHandler handler, ServerOptions options = {});

}  // namespace weft
