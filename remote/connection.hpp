#pragma once
// Connection: this process's link to a NATS server, through which local
// tasklets are registered under names and remote ones looked up
// (docs/remote.md):
//
//   auto conn = weft::remote::Connection::connect("nats://127.0.0.1:4222", 2.0);
//   auto reg = conn.register_name<Get, Put>(store, "kv");     // serve a tasklet
//   auto kv = conn.lookup("kv", 2.0);                          // from any process
//   kv.send(Put{"a", 1});
//   std::optional<int> v = kv.call(Get{"a"}, 1.0);
//
// A copyable handle, shared by the loops of a process: every member is
// thread-safe; connect, lookup and close must run in a tasklet. After the
// server goes away the connection reconnects by itself (every 100 ms, for
// ever): calls in flight fail with CallError, calls made meanwhile fail at
// once, and registrations are served again once it is back. The last
// handle's end (with every RemoteTasklet and Registration made from it)
// closes it as close() does.

#include "weft/sched/config.hpp"

#include <memory>
#include <string>
#include <vector>

#include "weft/mailbox/address.hpp"
#include "weft/remote/registration.hpp"
#include "weft/remote/remote_tasklet.hpp"
#include "weft/sched/loop.hpp"
#include "weft/sched/timeout.hpp"
#include "weft/tasklet/tasklet.hpp"

namespace weft::remote {

class Connection {
 public:
  Connection() = default;

  // Connects to the NATS server at `url` ("nats://host:port", or a
  // comma-separated list of them) within `timeout`; the loop keeps running
  // meanwhile. Throws ConnectionError ("weft: connect to URL failed: ..."),
  // TimeoutError, TaskletExit. Must be called from a tasklet.
  static Connection connect(const std::string& url, Timeout timeout = weft::current);

  // Serves tasklet t (or the tasklet behind an Address) under `name` to
  // every process on the server, accepting the message types Ms (see
  // remote/registration.hpp). Calls to it are made from tasklets spawned on
  // the calling thread's loop. Must be called on a loop thread (for a
  // Tasklet, on its own loop's thread). Several processes may register the
  // same name: each message goes to one of them. Throws ConnectionError,
  // std::invalid_argument for a name that is not dot-separated tokens
  // without spaces, '*' or '>'.
  template <class... Ms>
  Registration register_name(const Tasklet& t, const std::string& name) const;
  template <class... Ms>
  Registration register_name(const Address& to, const std::string& name) const;

  // The tasklet registered under `name` by any process on the server; asks
  // it (a probe round trip) within `timeout`. Throws NameNotFound when no
  // process serves the name, CallError when not connected, TimeoutError,
  // TaskletExit. Must be called from a tasklet.
  RemoteTasklet lookup(const std::string& name, Timeout timeout = weft::current) const;

  // Closes the connection for every handle: calls being served get their
  // replies out (waited for, up to 2 s, when called from a tasklet), replies
  // that already arrived are still delivered, what was sent is flushed to
  // the server, calls still waiting fail with CallError, and registrations
  // stop; the drain runs on a worker thread (bounded by 2 s) while the loop
  // goes on. Outside a tasklet it blocks the thread instead. Idempotent.
  // Throws TaskletExit when killed while it waits. (Called from a served
  // tasklet's handler before it replies, it waits out the 2 s for its own call.)
  void close() const;

  // The URL it was connected to.
  const std::string& url() const;
  explicit operator bool() const noexcept { return core_ != nullptr; }

 private:
  explicit Connection(std::shared_ptr<detail::Core> c) : core_(std::move(c)) {}
  Registration serve(const std::string& name, Address to, std::vector<detail::Accept> accepts) const;
  std::shared_ptr<detail::Core> core_;
};

template <class... Ms>
Registration Connection::register_name(const Tasklet& t, const std::string& name) const {
  return register_name<Ms...>(Address(t), name);
}

template <class... Ms>
Registration Connection::register_name(const Address& to, const std::string& name) const {
  static_assert(sizeof...(Ms) > 0, "weft: register_name<M...>: list the message types the name accepts");
  return serve(name, to, {detail::accept_of<Ms>()...});
}

}  // namespace weft::remote
