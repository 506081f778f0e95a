#pragma once
// The seam to cnats (remote/detail/core.cpp is the only file that includes
// nats.h): the link to the server (two NATS connections: one for calls and
// replies, one for sends; core.cpp says why), the calls waiting for replies,
// and the subscriptions that serve registered names.
//
// Threads: cnats runs its own threads (per connection a reader, a flusher,
// one for connection events; one per subscription for deliveries), and
// core.cpp one (the confirmer, which only talks to cnats). What they call
// here enters weft only through the thread-safe doors: CrossEvent::set
// (a waiting caller), LoopRef::post (a log line) and an Address (a message
// sent, or a call with its ServedCall slot: weft::detail::push_call). Nothing here touches a loop directly.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "weft/mailbox/address.hpp"
#include "weft/mailbox/mailbox.hpp"
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

struct Served;  // one subscription of a registered name (core.cpp)

// A call being served: the slot its local call is answered into (no tasklet
// waits for it). `accept` (encode_reply<R>) turns the reply into the reply
// frame on the callee's loop; core.cpp's notify then publishes it (or the
// error frame) from that thread and deletes the slot.
struct ServedCall : weft::detail::CallSlot {
  std::string frame;                // the ok reply's frame, once replied
  std::shared_ptr<Served> served;   // kept alive until the reply is out
  std::string reply_to;
};

// ServedCall's accept for replies of type R (void: any reply).
template <class R>
void encode_reply(weft::detail::CallSlot& s, const std::type_info& type, void* value,
                  bool rvalue) noexcept {
  (void)rvalue;
  auto& c = static_cast<ServedCall&>(s);
  try {
    Encoder out;
    out.array(2);
    out.integer(0);
    if constexpr (std::is_void_v<R>) {
      (void)type, (void)value;
      out.nil();
    } else {
      if (type != typeid(R)) {
        s.error = weft::detail::reply_type_error(typeid(R), type);
        return;
      }
      Codec<R>::encode(out, *static_cast<const R*>(value));
    }
    c.frame = out.take();
  } catch (...) {
    s.error = std::current_exception();
  }
}

// One message type a registered name accepts, with the two ways of
// delivering it (function templates of remote/registration.hpp).
struct Accept {
  std::string type;  // the wire name
  // Decodes the body from `d` and sends it to `to`. Throws DecodeError.
  void (*send)(Decoder& d, const Address& to);
  // Decodes the body from `d` and pushes it to `to` as a call answered into
  // *slot, which it then releases (push_call owns it). Throws DecodeError
  // (and bad_alloc), leaving *slot as it was.
  void (*call)(Decoder& d, const Address& to, std::unique_ptr<ServedCall>& slot);
};


// Subscribes to the name (queue group "weft": one of several registrants
// gets each message); sends go to `to`, calls run in tasklets spawned on
// `loop` (without a tasklet: see ServedCall). Throws ConnectionError; std::invalid_argument for a name that is
// not a NATS subject ("weft: register_name: ...").
std::shared_ptr<Served> serve(const std::shared_ptr<Core>& c, const std::string& name,
                              Address to, LoopRef loop, std::vector<Accept> accepts);
// Unsubscribes and waits until cnats has returned from the last delivery.
void unserve(Served& s) noexcept;

}  // namespace weft::remote::detail
