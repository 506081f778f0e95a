#pragma once
// Mailboxes (Concurrence's Tasklet.send / call / receive / receiver).
//
// Every tasklet has a mailbox, created on first use and destroyed (with what
// is still in it) when the tasklet finishes. Messages are plain C++ values:
//
//   auto echo = weft::receiver([](weft::Message& m) {
//     if (auto* s = m.get_if<std::string>()) m.reply(*s + "!");
//   });
//   weft::send(echo, Ping{});                                 // asynchronous
//   if (weft::try_send(echo, Ping{}).is_full()) ...           // never parks
//   std::string r = weft::call<std::string>(echo, std::string("hi"), 1.0);
//
// A send to a tasklet parked in receive() puts it first in the run queue: it
// runs as soon as the sender parks or yields (the receiver is preferred over
// every other runnable tasklet, as in Concurrence; the sender is not switched
// out, so a send never blocks unless the mailbox is bounded and full).
// Everything here is loop-thread only; from another OS thread use
// weft::Address (mailbox/address.hpp).

#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "weft/mailbox/call_error.hpp"
#include "weft/mailbox/message.hpp"
#include "weft/mailbox/send_result.hpp"
#include "weft/sched/timeout.hpp"
#include "weft/tasklet/tasklet.hpp"

namespace weft {

// Appends `msg` (a value of any movable type, or a received Message forwarded
// with std::move) to t's mailbox and returns SendResult::sent; returns
// SendResult::finished, dropping the message, when t has finished. When t was
// spawned with max_mailbox_len and its mailbox is full, parks until there is
// room; throws TimeoutError when `timeout` passes first (the message is not
// sent), TaskletExit when the caller is killed, and NotInTasklet when it would
// have to wait outside a tasklet. Throws std::logic_error for an empty handle,
// a tasklet of another loop, or a tasklet waiting for room in its own mailbox.
// The result may be ignored: fire-and-forget is the common use (a message to
// a tasklet that has just finished is dropped, as in Concurrence and Erlang);
// test it, or `weft::send(t, m).is_finished()`, where a lost message matters.
template <class M>
SendResult send(const Tasklet& t, M&& msg, Timeout timeout = weft::current);

// send() that never parks: SendResult::full when t's bounded mailbox has no
// room, SendResult::finished when t has finished (the message is dropped in
// both cases), else sent. Throws as send() otherwise. [[nodiscard]]: a
// try_send whose result is ignored drops messages without a trace.
template <class M>
[[nodiscard]] SendResult try_send(const Tasklet& t, M&& msg);

namespace detail {
// call()'s R when the caller leaves it out.
struct DeducedReply {};
template <class R, class M>
constexpr bool reply_type_fits() {
  if constexpr (NamesReply<M>) {
    return std::is_void_v<R> || std::is_same_v<R, reply_t<M>>;
  } else {
    return true;
  }
}
template <class R, class M>
struct call_result {
  static_assert(reply_type_fits<R, M>(),
                "weft: call<R>(t, msg): msg's type names its reply type (using reply = ...); "
                "R must be that type, or void, or left out: call(t, msg)");
  using type = R;
};
template <class M>
struct call_result<DeducedReply, M> {
  using type = void;
};
template <class M>
  requires NamesReply<M>
struct call_result<DeducedReply, M> {
  using type = reply_t<M>;
};
template <class R, class M>
using call_result_t = typename call_result<R, M>::type;
}  // namespace detail

// Sends `msg` to t and waits for the receiver's reply (Message::reply) of
// type R (void: any reply). Left out, R is the reply type msg's type names
// (`struct Stats { using reply = int; };` makes call(t, Stats{}) an int; an
// R other than that, or void, does not compile), else void. The timeout
// covers the whole call (waiting for room in a bounded mailbox, then for the
// reply); when it passes, TimeoutError is thrown and a later reply is
// dropped. Throws CallError when t has finished or the message is destroyed
// unanswered, whatever the receiver passed to reply_error(),
// std::logic_error on a reply of another type than R, a call to itself, or
// an empty handle, and TaskletExit when killed. Must be called from a tasklet.
template <class R = detail::DeducedReply, class M>
detail::call_result_t<R, M> call(const Tasklet& t, M&& msg, Timeout timeout = weft::current);

// The oldest message in the current tasklet's mailbox; parks until one
// arrives. Throws TimeoutError when `timeout` passes first, TaskletExit when
// killed (the mailbox keeps its messages either way). Must be called from a tasklet.
Message receive(Timeout timeout = weft::current);

// The oldest message, or an empty Message when there is none. Never parks.
// Must be called from a tasklet.
Message try_receive();

// Up to `max_size` messages, oldest first (Concurrence's receive_batch). Parks
// until one message is pending (bounded by `timeout`: TimeoutError), then up
// to `batch_timeout` longer for the batch to fill; returns at once when
// `max_size` are pending, and fewer when batch_timeout passes. An enclosing
// DeadlineScope that ends first throws TimeoutError (the messages stay in the
// mailbox). Throws std::invalid_argument when max_size is 0, TaskletExit when
// killed. Must be called from a tasklet.
std::vector<Message> receive_batch(std::size_t max_size, Timeout batch_timeout = weft::never,
                                   Timeout timeout = weft::current);

// Spawns a tasklet that receives messages for ever and calls f(Message&) on
// each. An exception from f is logged with the tasklet's name and the
// receiver goes on; when the message was an unanswered call, its caller gets
// that exception. kill() (TaskletExit) ends it. The tasklet's name is derived
// from f's type unless options.name is set. Between messages it holds no
// stack (docs/sched.md, "Resting"): an idle receiver costs about half a KiB.
template <class F>
Tasklet receiver(F&& f, SpawnOptions options = {});

// How many messages wait in t's mailbox (0 when it has none yet or finished).
// Throws std::logic_error for an empty handle.
std::size_t mailbox_size(const Tasklet& t);

}  // namespace weft

#include "weft/mailbox/mailbox_impl.hpp"
