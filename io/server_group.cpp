#include "io/server_group.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>

#include "sched/cross_event.hpp"
#include "sched/extension.hpp"
#include "sched/park.hpp"

namespace weft {

namespace detail {

struct ServerGroupState {
  explicit ServerGroupState(std::size_t n) : listening(n), errors(n) {}
  std::shared_ptr<ConnectionBudget> budget = std::make_shared<ConnectionBudget>();
  std::vector<CrossEvent> listening;          // set by loop i's runner once it listens (or failed)
  std::vector<std::exception_ptr> errors;     // loop i's failure to listen (before listening[i])
  Endpoint endpoint;                          // written by loop 0's runner before listening[0]
  int shared_fd = -1;                         // Unix paths: loop 0's listener, dup'ed by the others
  CrossEvent stop;                            // every runner stops its server
  std::atomic<std::int64_t> grace_ns{0};      // written before stop is set
  std::vector<LoopTasklet<void>> runners;     // one per loop (their handles)
};

namespace {

// The tasklet each loop runs: its server, from listening until stop.
void run_server(const std::shared_ptr<ServerGroupState>& g, std::size_t i, Endpoint at,
                const ConnectionHandler& handler, ServerOptions options) {
  Server s;
  try {
    Socket listener;
    if (at.family() == Endpoint::Family::unix_path && i > 0) {
      const int fd = ::dup(g->shared_fd);
      if (fd < 0) throw IoError("weft: dup of the shared listener failed", errno);
      listener = Socket(fd);
    } else {
      listener = Socket::listen(at, options.listen);
      if (i == 0) g->shared_fd = listener.fd();
    }
    options.listen.nodelay = options.listen.nodelay && at.family() != Endpoint::Family::unix_path;
    s = serve_shared(std::move(listener), handler, options, g->budget);
    if (i == 0) g->endpoint = s.endpoint();
  } catch (...) {
    g->errors[i] = std::current_exception();
    g->listening[i].set();
    return;
  }
  g->listening[i].set();
  const Wake w = g->stop.wait(Deadline::never());
  if (w == Wake::killed) throw TaskletExit{};  // the Server's destructor stops it with no grace
  s.stop(Timeout(std::chrono::nanoseconds(g->grace_ns.load(std::memory_order_relaxed))));
}

// Starts loop i's runner and waits until it listens; rethrows its failure.
void start_runner(const std::shared_ptr<ServerGroupState>& g, std::size_t i, const Endpoint& at,
                  const ConnectionHandler& handler, const ServerOptions& options) {
  SpawnOptions so;
  so.name = (options.name.empty() ? "server " + at.to_string() : options.name) + " (loop " +
            std::to_string(i) + ")";
  g->runners.push_back(spawn_on(
      loop_at(i), [g, i, at, handler, options] { run_server(g, i, at, handler, options); },
      std::move(so)));
  check_wake(g->listening[i].wait(Deadline::never()), Deadline::never(), "serve_on_all_loops()");
  if (g->errors[i]) std::rethrow_exception(g->errors[i]);
}

}  // namespace

}  // namespace detail

ServerGroup::ServerGroup() noexcept = default;
ServerGroup::ServerGroup(std::shared_ptr<detail::ServerGroupState> s) noexcept
    : state_(std::move(s)) {}
ServerGroup::ServerGroup(ServerGroup&& o) noexcept = default;

ServerGroup& ServerGroup::operator=(ServerGroup&& o) noexcept {
  if (this != &o) {
    ServerGroup old(std::move(*this));
    state_ = std::move(o.state_);
  }
  return *this;
}

ServerGroup::~ServerGroup() {
  if (state_) state_->stop.set();  // grace 0: each loop kills its connections
}

namespace {

detail::ServerGroupState& checked(const std::shared_ptr<detail::ServerGroupState>& s) {
  if (!s) throw std::logic_error("weft: use of an empty ServerGroup handle");
  return *s;
}

}  // namespace

Endpoint ServerGroup::endpoint() const { return checked(state_).endpoint; }
std::size_t ServerGroup::loops() const { return checked(state_).runners.size(); }
std::size_t ServerGroup::connections() const {
  return checked(state_).budget->live.load(std::memory_order_relaxed);
}
std::size_t ServerGroup::accepted() const {
  return checked(state_).budget->accepted.load(std::memory_order_relaxed);
}

void ServerGroup::stop(Timeout grace) {
  detail::ServerGroupState& g = checked(state_);
  const auto keep = state_;
  const Deadline d = Deadline::from(grace);
  if (!g.stop.is_set()) {
    g.grace_ns.store(d.is_never() ? INT64_MAX : std::max<std::int64_t>(0, d.span_ns()),
                     std::memory_order_relaxed);
    g.stop.set();
  }
  for (const auto& r : g.runners) {
    try {
      r.join(never);
    } catch (const JoinError&) {  // that loop's server already failed or was killed
    }
  }
}

void ServerGroup::join(Timeout t) {
  detail::ServerGroupState& g = checked(state_);
  const auto keep = state_;
  const Deadline d = Deadline::from(t);
  for (const auto& r : g.runners) {
    try {
      r.join(d);
    } catch (const JoinError&) {
    }
  }
}

ServerGroup serve_on_all_loops(const Endpoint& at, ConnectionHandler handler, ServerOptions options) {
  if (!handler) throw std::invalid_argument("weft: serve_on_all_loops() needs a handler");
  current_fiber("serve_on_all_loops()");
  const std::size_t n = loop_count();
  if (at.family() != Endpoint::Family::unix_path) options.listen.reuseport = true;
  auto g = std::make_shared<detail::ServerGroupState>(n);
  g->runners.reserve(n);
  ServerGroup group(g);  // from here on, a failure stops what started
  detail::start_runner(g, 0, at, handler, options);
  Endpoint bound = g->endpoint;  // loop 0 chose the port when asked for port 0
  for (std::size_t i = 1; i < n; ++i) detail::start_runner(g, i, bound, handler, options);
  return group;
}

}  // namespace weft
