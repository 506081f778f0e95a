#pragma once
// Template bodies of queue_channel.hpp, which includes this file at its end:
// not a header of its own (include queue_channel.hpp).

#include <utility>

#include "weft/sched/errors.hpp"

namespace weft {

template <class T>
void QueueChannel<T>::push(T&& value) {
  items_.push_back(std::move(value));
  receivers_.notify_one();
}

template <class T>
T QueueChannel<T>::pop() {
  T v = std::move(items_.front());
  items_.pop_front();
  if (!full()) senders_.notify_one();
  return v;
}

template <class T>
void QueueChannel<T>::send(T value, Timeout timeout) {
  if (full()) {
    const Deadline d = Deadline::from(timeout);
    WaitList::Place place;  // the room taken by another send first: wait again in turn
    while (full()) {
      const Wake w = senders_.wait(d, place, nullptr, WaitKind::queue, this);
      if (w == Wake::killed) throw TaskletExit{};
      if (w == Wake::timed_out && full()) throw_timeout(d, "QueueChannel send");
    }
  }
  push(std::move(value));
}

template <class T>
bool QueueChannel<T>::try_send(T value) {
  if (full()) return false;
  push(std::move(value));
  return true;
}

template <class T>
T QueueChannel<T>::receive(Timeout timeout) {
  if (items_.empty()) {
    const Deadline d = Deadline::from(timeout);
    WaitList::Place place;  // the item taken by another receive first: wait again in turn
    while (items_.empty()) {
      const Wake w = receivers_.wait(d, place, nullptr, WaitKind::queue, this);
      if (w == Wake::killed) throw TaskletExit{};
      if (w == Wake::timed_out && items_.empty()) throw_timeout(d, "QueueChannel receive");
    }
  }
  return pop();
}

template <class T>
std::optional<T> QueueChannel<T>::try_receive() {
  if (items_.empty()) return std::nullopt;
  return pop();
}

}  // namespace weft
