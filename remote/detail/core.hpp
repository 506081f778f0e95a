#pragma once
// The seam to cnats (remote/detail/core.cpp is the only file that includes
// nats.h): one connection, the calls waiting for replies, and the
// subscriptions that serve registered names.
//
// Threads: cnats runs its own threads (a reader, a flusher, one per
// subscription for deliveries, one for connection events). What they call
// here enters weft only through the thread-safe doors: CrossEvent::set
// (a waiting caller), LoopRef::post (a call to serve, a log line) and
// Address::send (a one-way message). Nothing here touches a loop directly.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "weft/mailbox/address.hpp"
#include "weft/remote/codec.hpp"
#include "weft/sched/loop.hpp"
#include "weft/sched/park.hpp"

namespace weft::remote::detail {

struct Core;

// Connects to `url` within `d` (on a worker thread: the loop keeps running).
// Throws ConnectionError, TimeoutError, TaskletExit. Must be called in a tasklet.
std::shared_ptr<Core> connect(const std::string& url, const Deadline& d);
// Closes the connection: drains it (replies that arrived are delivered, what
// was published is flushed) and closes it. In a tasklet, first waits (parked,
// up to 2 s) for the calls being served to publish their replies, and drains
// on a worker thread; elsewhere blocks the thread while cnats drains (bounded
// by a few seconds). Idempotent. Throws TaskletExit when killed while it waits.
void close(const std::shared_ptr<Core>& c);
// The server's URL, for messages.
const std::string& url(const Core& c) noexcept;

// Publishes `payload` (a send frame) on the name's subject. Any thread.
// Throws ConnectionError when the connection is closed or refuses it.
void publish(Core& c, std::string_view name, const std::string& payload);
// Publishes `payload` (a call frame) as a request to the name and parks until
// its reply frame, which it returns. Throws NameNotFound (no subscriber),
// CallError (connection lost or closed meanwhile, or not connected),
// TimeoutError, TaskletExit. Must be called in a tasklet.
std::string request(Core& c, std::string_view name, const std::string& payload,
                    const Deadline& d);

// One message type a registered name accepts, with the two ways of
// delivering it (function templates of remote/registration.hpp).
struct Accept {
  std::string type;  // the wire name
  // Decodes the body from `d` and sends it to `to`. Throws DecodeError.
  void (*send)(Decoder& d, const Address& to);
  // Decodes the body, calls `to` with it within `t` and encodes the reply's
  // body into `out`. Runs in a tasklet. Throws what the call throws.
  void (*call)(Decoder& d, const Address& to, Timeout t, Encoder& out);
};

struct Served;  // one subscription of a registered name (core.cpp)

// Subscribes to the name (queue group "weft": one of several registrants
// gets each message); sends go to `to`, calls run in tasklets spawned on
// `loop`. Throws ConnectionError; std::invalid_argument for a name that is
// not a NATS subject ("weft: register_name: ...").
std::shared_ptr<Served> serve(const std::shared_ptr<Core>& c, const std::string& name,
                              Address to, LoopRef loop, std::vector<Accept> accepts);
// Unsubscribes and waits until cnats has returned from the last delivery.
void unserve(Served& s) noexcept;

}  // namespace weft::remote::detail
