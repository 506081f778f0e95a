#pragma once
// RemoteTasklet: a tasklet of another process (or of this one), found by the
// name it was registered under (Connection::lookup), with the send and call
// of a local one:
//
//   auto accounts = conn.lookup("accounts", 2.0);
//   accounts.send(Deposit{"ann", 10});
//   int balance = accounts.call(Balance{"ann"}, 1.0);    // Balance::reply is int
//
// Messages and replies cross the wire through weft::remote::Codec
// (remote/codec.hpp). Copyable; every member is thread-safe, and call() must
// run in a tasklet (of any loop).

#include "weft/sched/config.hpp"

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "weft/mailbox/mailbox.hpp"
#include "weft/remote/codec.hpp"
#include "weft/remote/detail/core.hpp"
#include "weft/remote/detail/frame.hpp"
#include "weft/remote/errors.hpp"
#include "weft/sched/timeout.hpp"

namespace weft::remote {

class Connection;

class RemoteTasklet {
 public:
  // An empty handle (its send and call throw std::logic_error).
  RemoteTasklet() = default;

  // Publishes `msg` to the tasklet registered under name(). Asynchronous and
  // at most once, as NATS is: it is dropped when no process serves the name
  // any more (a lookup or call tells). Messages of one sender to one name
  // arrive in the order they were sent. Throws ConnectionError when the
  // connection is closed. Any thread.
  template <class M>
  void send(const M& msg) const;

  // Sends `msg` as a call and parks the calling tasklet until the remote
  // tasklet's reply, decoded as R (left out: the reply type msg's type names,
  // `using reply = R;`, else void). The timeout (DeadlineScope included)
  // covers the whole round trip and is sent along: once it has passed, the
  // remote message's wants_reply() is false and its reply is dropped.
  // Throws TimeoutError; TaskletExit when killed; RemoteError with the remote
  // exception's type and message for the handler's reply_error; CallError
  // when the remote tasklet has finished or dropped the message, when the
  // connection was lost or closed before the reply came or is not connected;
  // NameNotFound when no process serves the name any more; DecodeError when
  // the reply does not decode as R or the other side could not decode msg.
  // Must be called from a tasklet.
  template <class R = weft::detail::DeducedReply, class M>
  weft::detail::call_result_t<R, M> call(const M& msg, Timeout timeout = weft::current) const;

  const std::string& name() const noexcept { return name_; }
  explicit operator bool() const noexcept { return core_ != nullptr; }

 private:
  friend class Connection;
  RemoteTasklet(std::shared_ptr<detail::Core> core, std::string name)
      : core_(std::move(core)), name_(std::move(name)) {}
  void check() const;
  std::shared_ptr<detail::Core> core_;
  std::string name_;
};

namespace detail {
[[noreturn]] void throw_bad_reply(const std::string& name, const std::string& type,
                                  const DecodeError& e);
}

template <class M>
void RemoteTasklet::send(const M& msg) const {
  check();
  Encoder e;
  detail::begin_message(e, wire_name<M>(), nullptr);
  Codec<M>::encode(e, msg);
  detail::publish(*core_, name_, e.bytes());
}

template <class R, class M>
weft::detail::call_result_t<R, M> RemoteTasklet::call(const M& msg, Timeout timeout) const {
  using Result = weft::detail::call_result_t<R, M>;
  check();
  const Deadline d = Deadline::from(timeout);
  Encoder e;
  detail::begin_message(e, wire_name<M>(), &d);
  Codec<M>::encode(e, msg);
  const std::string frame = detail::request(*core_, name_, e.bytes(), d);
  Decoder body = detail::open_reply(name_, frame);
  if constexpr (std::is_void_v<Result>) {
    return;
  } else {
    try {
      return Codec<Result>::decode(body);
    } catch (const DecodeError& x) {
      detail::throw_bad_reply(name_, wire_name<Result>(), x);
    }
  }
}

}  // namespace weft::remote
