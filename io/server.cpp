#include "io/server.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <list>
#include <stdexcept>
#include <utility>
#include <vector>

#include "sched/extension.hpp"
#include "sched/log.hpp"
#include "sched/park.hpp"
#include "sched/wait_list.hpp"

namespace weft {

namespace detail {

struct ServerState {
  ServerState() = default;
  ServerState(const ServerState&) = delete;
  ServerState& operator=(const ServerState&) = delete;

  struct Conn {
    Socket socket;
    Tasklet tasklet;
  };

  ConnectionHandler handler;
  ServerOptions options;
  std::string name;
  Endpoint endpoint;
  Socket listener;
  Tasklet acceptor;
  std::list<Conn> conns;  // live connections (std::list: stable addresses for the handlers)
  std::size_t accepted = 0;
  std::size_t backoffs = 0;
  bool set_nodelay = false;    // TCP_NODELAY on accepted sockets (adopted listeners)
  bool running = true;         // accepting (until stop() or the acceptor ends)
  bool acceptor_done = false;  // the accepting tasklet has ended
  WaitList acceptor_wake;      // the acceptor waits here for a free slot or the end of a back-off
  WaitList idle;               // stop() waits here for the connections to end
  WaitList stopped;            // join() waits here for acceptor_done && conns.empty()
  std::shared_ptr<ConnectionBudget> budget;  // a ServerGroup's, shared by its loops; or none

  bool is_stopped() const noexcept { return acceptor_done && conns.empty(); }
  void check_stopped() noexcept {
    if (is_stopped()) stopped.notify_all();
  }
  void conn_ended(std::list<Conn>::iterator it) noexcept {
    conns.erase(it);
    if (budget) {
      budget->live.fetch_sub(1, std::memory_order_relaxed);
      budget->taken.fetch_sub(1, std::memory_order_relaxed);
    }
    acceptor_wake.notify_one();
    if (conns.empty()) idle.notify_all();
    check_stopped();
  }
};

namespace {

// The callable of a connection tasklet. It owns the connection's slot: when it
// is destroyed (the tasklet ended, or was killed before it started) the slot
// and its socket go.
struct ConnectionBody {
  std::shared_ptr<ServerState> st;
  std::list<ServerState::Conn>::iterator it;

  ConnectionBody(std::shared_ptr<ServerState> s, std::list<ServerState::Conn>::iterator i)
      : st(std::move(s)), it(i) {}
  ConnectionBody(ConnectionBody&& o) noexcept : st(std::move(o.st)), it(o.it) {}
  ConnectionBody& operator=(ConnectionBody&&) = delete;
  ~ConnectionBody() {
    if (st) st->conn_ended(it);
  }

  void operator()() {
    Socket& s = it->socket;
    s.set_read_timeouts(st->options.first_bytes_timeout, st->options.idle_timeout);
    try {
      st->handler(s);
    } catch (const TaskletExit&) {
      throw;
    } catch (const IoError& e) {
      log(LogLevel::debug, st->name + ": connection from " + peer() + " ended: " + e.what());
    } catch (const TimeoutError& e) {
      log(LogLevel::debug, st->name + ": connection from " + peer() + " timed out: " + e.what());
    } catch (...) {
      log(LogLevel::error, st->name + ": the handler of the connection from " + peer() +
                               " failed: " + describe_current_exception());
    }
    s.close();
  }

  std::string peer() const {
    try {
      return it->socket.peer_endpoint().to_string();
    } catch (...) {
      return "a peer";
    }
  }
};

bool out_of_resources(int err) {
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

// Parks the acceptor on its wait list (until woken, or `d`); TaskletExit when killed.
void acceptor_pause(ServerState& st, const Deadline& d) {
  const Wake w = st.acceptor_wake.wait(d, WaitKind::server, &st);
  if (w == Wake::killed) throw TaskletExit{};
}

Deadline in(std::chrono::nanoseconds ns) {
  return Deadline::at_ns(
      std::chrono::duration_cast<std::chrono::nanoseconds>(weft::now().time_since_epoch()).count() +
      ns.count());
}

// How often an acceptor at a ServerGroup's limit looks again: a connection
// that ends on another loop cannot wake it.
constexpr std::chrono::milliseconds kSharedLimitRecheck{10};

// True when the acceptor may accept one more connection; false after a pause.
// A ServerGroup's acceptor reserves its slot in the shared budget first (held
// in `reserved` until a connection takes it), so the limit holds exactly across loops.
bool room_for_one(ServerState& st, bool& reserved) {
  const std::size_t limit = st.options.max_connections;
  if (limit == 0) return true;
  if (!st.budget) {
    if (st.conns.size() < limit) return true;
    acceptor_pause(st, Deadline::never());
    return false;
  }
  if (reserved) return true;
  if (st.budget->taken.fetch_add(1, std::memory_order_relaxed) < limit) {
    reserved = true;
    return true;
  }
  st.budget->taken.fetch_sub(1, std::memory_order_relaxed);
  acceptor_pause(st, in(kSharedLimitRecheck));
  return false;
}

void accept_loop(const std::shared_ptr<ServerState>& sp) {
  ServerState& st = *sp;
  bool reserved = false;  // a slot of the shared budget, for the next connection
  struct Done {
    ServerState& st;
    bool& reserved;
    ~Done() {
      if (reserved) st.budget->taken.fetch_sub(1, std::memory_order_relaxed);
      st.running = false;
      st.acceptor_done = true;
      st.listener.close();
      st.listener = Socket();  // drop its fd watch now, on the loop
      st.check_stopped();
    }
  } done{st, reserved};
  bool in_backoff = false;
  while (st.running) {
    if (!room_for_one(st, reserved)) continue;
    Socket c;
    try {
      c = st.listener.accept(never);
    } catch (const SocketClosedError&) {
      return;  // stop() closed the listener
    } catch (const IoError& e) {
      ++st.backoffs;
      if (!in_backoff) {
        log(out_of_resources(e.error_number()) ? LogLevel::warning : LogLevel::error,
            st.name + ": accepting paused for " +
                std::to_string(st.options.accept_backoff.count()) + " ms: " + e.what());
      }
      in_backoff = true;
      acceptor_pause(st, in(st.options.accept_backoff));
      continue;
    }
    in_backoff = false;
    ++st.accepted;
    if (st.set_nodelay) {
      try {
        c.set_nodelay(true);
      } catch (const IoError&) {
        // not TCP: nothing to set
      }
    }
    st.conns.emplace_back();
    auto it = std::prev(st.conns.end());
    if (st.budget) {  // the reserved slot goes with the connection (conn_ended gives it back)
      reserved = false;
      st.budget->live.fetch_add(1, std::memory_order_relaxed);
      st.budget->accepted.fetch_add(1, std::memory_order_relaxed);
    }
    it->socket = std::move(c);
    try {
      SpawnOptions so;
      so.name = "connection " + (it->socket.peer_endpoint().empty()
                                     ? std::to_string(st.accepted)
                                     : it->socket.peer_endpoint().to_string());
      so.stack_size = st.options.stack_size;
      it->tasklet = Tasklet::spawn(ConnectionBody(sp, it), std::move(so));
    } catch (const TaskletExit&) {
      throw;
    } catch (...) {
      // The body (if it was built) already gave the slot back.
      log(LogLevel::error, st.name + ": cannot start a connection tasklet: " +
                               describe_current_exception());
    }
  }
}

}  // namespace

}  // namespace detail

using detail::ServerState;

namespace {

void check_options(const ServerOptions& o) {
  if (o.accept_backoff.count() <= 0) {
    throw std::invalid_argument("weft: ServerOptions::accept_backoff is " +
                                std::to_string(o.accept_backoff.count()) +
                                " ms; it must be positive, or the server spins when file "
                                "descriptors run out");
  }
  if (o.first_bytes_timeout.count() < 0 || o.idle_timeout.count() < 0) {
    throw std::invalid_argument("weft: ServerOptions::first_bytes_timeout and idle_timeout must "
                                "not be negative (0: no bound)");
  }
}

}  // namespace

Server serve(const Endpoint& at, ConnectionHandler handler, ServerOptions options) {
  if (!handler) throw std::invalid_argument("weft: serve() needs a handler");
  check_options(options);
  Socket listener = Socket::listen(at, options.listen);
  options.listen.nodelay = false;  // listen() already arranged it
  return serve(std::move(listener), std::move(handler), std::move(options));
}

Server serve(Socket listener, ConnectionHandler handler, ServerOptions options) {
  return detail::serve_shared(std::move(listener), std::move(handler), std::move(options), nullptr);
}

Server detail::serve_shared(Socket listener, ConnectionHandler handler, ServerOptions options,
                            std::shared_ptr<ConnectionBudget> budget) {
  if (!handler) throw std::invalid_argument("weft: serve() needs a handler");
  if (!listener.is_open()) throw std::invalid_argument("weft: serve() given a closed listener");
  check_options(options);
  int listening = 0;
  socklen_t len = sizeof listening;
  if (::getsockopt(listener.fd(), SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening) {
    throw std::invalid_argument("weft: serve() given fd " + std::to_string(listener.fd()) +
                                ", which is not listening (make it with Socket::listen)");
  }
  auto st = std::make_shared<ServerState>();
  st->listener = std::move(listener);
  st->endpoint = st->listener.local_endpoint();
  st->set_nodelay = options.listen.nodelay && st->endpoint.family() != Endpoint::Family::unix_path;
  st->name = options.name.empty() ? "server " + st->endpoint.to_string() : options.name;
  st->handler = std::move(handler);
  st->options = std::move(options);
  st->budget = std::move(budget);
  SpawnOptions so;
  so.name = st->name;
  st->acceptor = Tasklet::spawn([st] { detail::accept_loop(st); }, std::move(so));
  return Server(std::move(st));
}

Server::Server() noexcept = default;
Server::Server(std::shared_ptr<ServerState> s) noexcept : state_(std::move(s)) {}
Server::Server(Server&&) noexcept = default;

Server& Server::operator=(Server&& o) {
  if (this != &o) {
    Server old(std::move(*this));
    state_ = std::move(o.state_);
  }
  return *this;
}

Server::~Server() {
  if (!state_ || state_->is_stopped()) return;
  if (detail::current_loop() == nullptr) return;  // the loop has ended: its tasklets are gone
  if (!detail::in_tasklet()) {    // cannot wait here: stop accepting and let the handlers run on
    state_->running = false;
    state_->listener.close();
    state_->acceptor_wake.notify_all();
    return;
  }
  try {
    stop(Timeout(std::chrono::nanoseconds(0)));
  } catch (...) {
    // a destructor cannot throw (TaskletExit included): what is left ends with the loop
  }
}

const ServerState& Server::state() const {
  if (!state_) throw std::logic_error("weft: use of an empty Server handle");
  return *state_;
}

Endpoint Server::endpoint() const { return state().endpoint; }
bool Server::running() const { return state().running; }
std::size_t Server::connections() const { return state().conns.size(); }
std::size_t Server::accepted() const { return state().accepted; }
std::size_t Server::accept_backoffs() const { return state().backoffs; }
Tasklet Server::tasklet() const { return state().acceptor; }

void Server::stop(Timeout grace) {
  state();
  ServerState& st = *state_;
  const std::shared_ptr<ServerState> keep = state_;  // the handle may go while we wait
  const Tasklet self = Tasklet::current();
  if (self == st.acceptor) throw std::logic_error("weft: " + st.name + ": stop() from its own tasklet");
  for (const auto& c : st.conns) {
    if (c.tasklet == self) {
      throw std::logic_error("weft: " + st.name +
                             ": stop() from one of its connection tasklets would wait for itself");
    }
  }
  const Deadline d = Deadline::from(grace);
  if (st.running) {
    st.running = false;
    st.listener.close();  // the acceptor wakes with SocketClosedError and ends
    st.acceptor_wake.notify_all();
  }
  while (!st.conns.empty()) {
    const Wake w = st.idle.wait(d, WaitKind::server, &st);
    if (w == Wake::killed) throw TaskletExit{};
    if (w == Wake::timed_out) break;
  }
  if (!st.conns.empty()) {
    log(LogLevel::info, st.name + ": killing " + std::to_string(st.conns.size()) +
                            " connection(s) still open after the grace period");
    std::vector<Tasklet> left;
    for (const auto& c : st.conns) left.push_back(c.tasklet);
    for (const Tasklet& t : left) {
      if (t) t.kill();
    }
  }
  while (!st.is_stopped()) {
    const Wake w = st.stopped.wait(Deadline::never(), WaitKind::server, &st);
    if (w == Wake::killed) throw TaskletExit{};
  }
}

void Server::join(Timeout t) {
  state();
  const std::shared_ptr<ServerState> keep = state_;
  detail::LazyDeadline d(t);
  while (!keep->is_stopped()) {
    const Wake w = keep->stopped.wait(d.get(), WaitKind::server, keep.get());
    check_wake(w, d.get(), "join of " + keep->name);
  }
}

}  // namespace weft
