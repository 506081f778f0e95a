#pragma once
// ServerGroup: one server on every loop of dispatch_loops.
//
//   weft::dispatch_loops(0, [](std::size_t i) {
//     if (i != 0) return;
//     auto servers = weft::serve_on_all_loops(weft::Endpoint::ip("0.0.0.0", 8080), handle);
//     servers.join();   // until stopped (SIGINT ends every loop, and them)
//   });
//
// Each loop accepts on a listener of its own and runs the handlers of what it
// accepted: for IP endpoints each loop binds the port with SO_REUSEPORT (the
// kernel spreads connections over the loops); for a Unix path the loops share
// one listening socket. max_connections holds for the group as a whole, and
// stop() is graceful on every loop at once.

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "weft/io/endpoint.hpp"
#include "weft/io/server.hpp"
#include "weft/sched/timeout.hpp"
#include "weft/tasklet/spawn_on.hpp"

namespace weft {

namespace detail {
struct ServerGroupState;
}

// Handle to the servers of serve_on_all_loops (move-only). Its members may be
// called from a tasklet of any loop.
class ServerGroup {
 public:
  ServerGroup() noexcept;
  ServerGroup(ServerGroup&& o) noexcept;
  ServerGroup& operator=(ServerGroup&& o) noexcept;
  // Stops every loop's server with no grace (connections killed), without
  // waiting for them to end.
  ~ServerGroup();

  // The bound address (a port 0 request shows the port chosen).
  Endpoint endpoint() const;
  // How many loops serve.
  std::size_t loops() const;
  // Connections being handled now, on all loops.
  std::size_t connections() const;
  // Connections accepted so far, on all loops.
  std::size_t accepted() const;
  // Graceful stop on every loop at once (see Server::stop); returns when every
  // loop's server has stopped. Must be called in a tasklet.
  void stop(Timeout grace = std::chrono::seconds(5));
  // Waits until every loop's server has stopped. Throws TimeoutError,
  // TaskletExit. Must be called in a tasklet.
  void join(Timeout t = current);

 private:
  friend ServerGroup serve_on_all_loops(const Endpoint&, ConnectionHandler, ServerOptions);
  explicit ServerGroup(std::shared_ptr<detail::ServerGroupState> s) noexcept;
  std::shared_ptr<detail::ServerGroupState> state_;
};

// Starts a server on `at` on every loop of this dispatch_loops group (one loop
// under dispatch()), each a tasklet of its loop, and returns once all listen.
// `handler` is copied to every loop and called on each loop's thread: it must
// be safe to call concurrently. options.max_connections bounds the group's
// connections together; options.listen.reuseport is set for IP endpoints.
// Throws IoError when a loop cannot listen (e.g. the port is in use; the loops
// that did are stopped first). Must be called in a tasklet.
[[nodiscard]] ServerGroup serve_on_all_loops(const Endpoint& at, ConnectionHandler handler,
                                             ServerOptions options = {});

}  // namespace weft
