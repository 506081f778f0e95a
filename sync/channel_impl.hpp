#pragma once
// Template bodies of channel.hpp, which includes this file at its end: not a
// header of its own (include channel.hpp).

#include <stdexcept>
#include <utility>

#include "weft/sched/errors.hpp"

namespace weft {

namespace detail {
// Throws std::invalid_argument unless p is -1, 0 or 1.
void check_preference(int p);
// The running tasklet goes to the back of the run queue (nothing outside a
// tasklet). Throws TaskletExit when killed meanwhile.
void give_way();
// Throws ChannelClosed for `op` ("send", "receive", ...).
[[noreturn]] void throw_channel_closed(const char* op);
}  // namespace detail

template <class T>
Channel<T>::Channel(int preference) : preference_(preference) {
  detail::check_preference(preference);
}

template <class T>
void Channel<T>::set_preference(int p) {
  detail::check_preference(p);
  preference_ = p;
}

// The sender came second: give the item to the oldest parked receiver.
template <class T>
bool Channel<T>::hand_over(Outgoing& out) {
  auto* r = static_cast<RecvWait*>(receivers_.front_data());
  if (r == nullptr) return false;
  if (out.value != nullptr) {
    r->slot.emplace(std::move(*out.value));
  } else {
    r->slot.emplace(out.error);
  }
  const bool receiver_first = preference_ < 0;
  receivers_.notify_one(receiver_first);
  if (receiver_first) detail::give_way();
  return true;
}

// The receiver came second: a kept item, else the oldest parked sender's.
template <class T>
std::optional<typename Channel<T>::Item> Channel<T>::take() {
  if (!kept_.empty()) {
    std::optional<Item> v(std::move(kept_.front()));
    kept_.pop_front();
    return v;
  }
  auto* s = static_cast<SendWait*>(senders_.front_data());
  if (s == nullptr) return std::nullopt;
  std::optional<Item> v;
  if (s->out->value != nullptr) {
    v.emplace(std::move(*s->out->value));
  } else {
    v.emplace(s->out->error);
  }
  s->taken = true;
  const bool sender_first = preference_ > 0;
  senders_.notify_one(sender_first);
  if (sender_first) {
    try {
      detail::give_way();
    } catch (...) {  // killed while giving way: the item must not die with us
      rehome(std::move(*v));
      throw;
    }
  }
  return v;
}

// A received item whose receiver is being killed before it could use it.
template <class T>
void Channel<T>::rehome(Item&& item) noexcept {
  if (auto* r = static_cast<RecvWait*>(receivers_.front_data())) {
    r->slot.emplace(std::move(item));
    receivers_.notify_one();
  } else {
    kept_.push_back(std::move(item));
  }
}

template <class T>
T Channel<T>::unwrap(Item&& item) {
  if (item.error) std::rethrow_exception(std::move(item.error));
  return std::move(*item.value);
}

template <class T>
void Channel<T>::send(T value, Timeout timeout) {
  if (closed_) detail::throw_channel_closed("send");
  send_item(Outgoing{&value, nullptr}, timeout);
}

template <class T>
void Channel<T>::send_exception(std::exception_ptr error, Timeout timeout) {
  if (!error) throw std::invalid_argument("weft: Channel send_exception needs an exception, not null");
  if (closed_) detail::throw_channel_closed("send_exception");
  send_item(Outgoing{nullptr, std::move(error)}, timeout);
}

template <class T>
void Channel<T>::send_item(Outgoing out, Timeout timeout) {
  if (hand_over(out)) return;
  const Deadline d = Deadline::from(timeout);
  SendWait me{&out};
  WaitList::Place place;  // woken but not taken: wait again in turn
  for (;;) {
    const Wake w = senders_.wait(d, place, &me, WaitKind::channel, this);
    if (w == Wake::killed) throw TaskletExit{};  // taken or not: the kill wins
    if (me.taken) return;
    if (w == Wake::timed_out) throw_timeout(d, "Channel send");
    // Woken without being taken (a receiver that took over our turn was
    // killed): a receiver may be waiting now.
    if (hand_over(out)) return;
  }
}

template <class T>
T Channel<T>::receive(Timeout timeout) {
  // A value that is already there is taken without resolving a deadline (no
  // tasklet needed).
  std::optional<Item> v = take();
  if (!v && !closed_) v = receive_item(Deadline::from(timeout));
  if (!v) detail::throw_channel_closed("receive");
  return unwrap(std::move(*v));
}

template <class T>
std::optional<typename Channel<T>::Item> Channel<T>::receive_item(const Deadline& d) {
  if (std::optional<Item> v = take()) return v;
  if (closed_) return std::nullopt;
  RecvWait me;
  WaitList::Place place;  // woken without an item: wait again in turn
  for (;;) {
    const Wake w = receivers_.wait(d, place, &me, WaitKind::channel, this);
    if (me.slot.has_value()) {
      if (w == Wake::killed) {
        rehome(std::move(*me.slot));
        throw TaskletExit{};
      }
      return std::move(me.slot);
    }
    if (w == Wake::killed) throw TaskletExit{};
    if (w == Wake::timed_out) throw_timeout(d, "Channel receive");
    if (std::optional<Item> v = take()) return v;
    if (closed_) return std::nullopt;
  }
}

template <class T>
void Channel<T>::close() {
  if (closed_) return;
  closed_ = true;
  // Parked receivers mean no sender is parked: nothing is left for them.
  receivers_.notify_all();
}

template <class T>
typename Channel<T>::Iterator Channel<T>::begin() {
  return Iterator(*this, static_cast<std::size_t>(-1), Deadline::from(weft::current));
}

template <class T>
typename Channel<T>::Batch Channel<T>::receive_n(std::size_t n, Timeout timeout) {
  return Batch(*this, n, Deadline::from(timeout));
}

template <class T>
void Channel<T>::Iterator::next() {
  value_.reset();
  if (left_ == 0) return;
  if (left_ != static_cast<std::size_t>(-1)) --left_;
  std::optional<Item> item = ch_->receive_item(d_);
  if (item) value_.emplace(unwrap(std::move(*item)));
}

}  // namespace weft
