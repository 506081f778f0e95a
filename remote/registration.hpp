#pragma once
// Registration: a local tasklet served under a name to every process on the
// same NATS server (Connection::register_name). Move-only; destroying it (or
// reset()) withdraws the name.
//
// The types a name accepts are listed when it is registered: each type M
// arrives in the tasklet's mailbox as an ordinary M, sent or called, and the
// tasklet answers a call with m.reply(...) / m.reply_error(...) as for a
// local caller. A call's reply type is M::reply when M names one, else none
// (void); Call<M, R> names it for a type that does not:
//
//   auto reg = conn.register_name<Deposit, Balance, remote::Call<int, int>>(accounts, "accounts");

#include "weft/sched/config.hpp"

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "weft/mailbox/address.hpp"
#include "weft/mailbox/message.hpp"
#include "weft/remote/codec.hpp"
#include "weft/remote/detail/core.hpp"

namespace weft::remote {

// In register_name's list: accept M, whose calls are answered with an R.
template <class M, class R>
struct Call {};

class Registration {
 public:
  Registration() = default;
  Registration(Registration&&) noexcept = default;
  Registration& operator=(Registration&& o) noexcept {
    if (this != &o) {
      reset();
      served_ = std::move(o.served_);
    }
    return *this;
  }
  ~Registration() { reset(); }

  // Withdraws the name: once it returns no message for it is delivered any
  // more (a call being served still gets its reply out). May block briefly
  // while cnats finishes a delivery in progress.
  void reset() noexcept;
  explicit operator bool() const noexcept { return served_ != nullptr; }

 private:
  friend class Connection;
  explicit Registration(std::shared_ptr<detail::Served> s) : served_(std::move(s)) {}
  std::shared_ptr<detail::Served> served_;
};

namespace detail {

template <class A>
struct Accepted {
  using message = A;
  using reply = void;
};
template <class A>
  requires NamesReply<A>
struct Accepted<A> {
  using message = A;
  using reply = reply_t<A>;
};
template <class M, class R>
struct Accepted<Call<M, R>> {
  using message = M;
  using reply = R;
};

template <class M>
void send_one(Decoder& d, const Address& to) {
  to.send(Codec<M>::decode(d));
}

template <class M, class R>
void call_one(Decoder& d, const Address& to, std::unique_ptr<ServedCall>& slot) {
  weft::detail::Envelope* e = weft::detail::make_envelope(Codec<M>::decode(d));
  slot->accept = &encode_reply<R>;
  weft::detail::push_call(to, e, *slot.release());
}

template <class A>
Accept accept_of() {
  using M = typename Accepted<A>::message;
  using R = typename Accepted<A>::reply;
  return Accept{wire_name<M>(), &send_one<M>, &call_one<M, R>};
}

}  // namespace detail

}  // namespace weft::remote
