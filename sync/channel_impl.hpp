#pragma once
// Template bodies of channel.hpp.

#include <utility>

#include "sched/errors.hpp"

namespace weft {

namespace detail {
// Throws std::invalid_argument unless p is -1, 0 or 1.
void check_preference(int p);
// The running tasklet goes to the back of the run queue (nothing outside a
// tasklet). Throws TaskletExit when killed meanwhile.
void give_way();
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

// The sender came second: give the value to the oldest parked receiver.
template <class T>
bool Channel<T>::hand_over(T& value) {
  auto* r = static_cast<RecvWait*>(receivers_.front_data());
  if (r == nullptr) return false;
  r->slot.emplace(std::move(value));
  const bool receiver_first = preference_ < 0;
  receivers_.notify_one(receiver_first);
  if (receiver_first) detail::give_way();
  return true;
}

// The receiver came second: a kept value, else the oldest parked sender's.
template <class T>
std::optional<T> Channel<T>::take() {
  if (!kept_.empty()) {
    std::optional<T> v(std::move(kept_.front()));
    kept_.pop_front();
    return v;
  }
  auto* s = static_cast<SendWait*>(senders_.front_data());
  if (s == nullptr) return std::nullopt;
  std::optional<T> v(std::move(*s->value));
  s->taken = true;
  const bool sender_first = preference_ > 0;
  senders_.notify_one(sender_first);
  if (sender_first) {
    try {
      detail::give_way();
    } catch (...) {  // killed while giving way: the value must not die with us
      rehome(std::move(*v));
      throw;
    }
  }
  return v;
}

// A received value whose receiver is being killed before it could use it.
template <class T>
void Channel<T>::rehome(T&& value) noexcept {
  if (auto* r = static_cast<RecvWait*>(receivers_.front_data())) {
    r->slot.emplace(std::move(value));
    receivers_.notify_one();
  } else {
    kept_.push_back(std::move(value));
  }
}

template <class T>
void Channel<T>::send(T value, Timeout timeout) {
  if (hand_over(value)) return;
  const Deadline d = Deadline::from(timeout);
  SendWait me{&value};
  WaitList::Place place;  // woken but not taken: wait again in turn
  for (;;) {
    const Wake w = senders_.wait(d, place, &me, WaitKind::channel, this);
    if (w == Wake::killed) throw TaskletExit{};  // taken or not: the kill wins
    if (me.taken) return;
    if (w == Wake::timed_out) throw_timeout(d, "Channel send");
    // Woken without being taken (a receiver that took over our turn was
    // killed): a receiver may be waiting now.
    if (hand_over(value)) return;
  }
}

template <class T>
T Channel<T>::receive(Timeout timeout) {
  if (std::optional<T> v = take()) return std::move(*v);
  const Deadline d = Deadline::from(timeout);
  RecvWait me;
  WaitList::Place place;  // woken without a value: wait again in turn
  for (;;) {
    const Wake w = receivers_.wait(d, place, &me, WaitKind::channel, this);
    if (me.slot.has_value()) {
      if (w == Wake::killed) {
        rehome(std::move(*me.slot));
        throw TaskletExit{};
      }
      return std::move(*me.slot);
    }
    if (w == Wake::killed) throw TaskletExit{};
    if (w == Wake::timed_out) throw_timeout(d, "Channel receive");
    if (std::optional<T> v = take()) return std::move(*v);
  }
}

}  // namespace weft
