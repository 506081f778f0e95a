#pragma once
// Template bodies of deque.hpp, which includes this file at its end: not a
// header of its own (include deque.hpp).

#include <utility>

#include "weft/sched/errors.hpp"

namespace weft {

template <class T>
void Deque<T>::push_back(T value) {
  items_.push_back(std::move(value));
  poppers_.notify_one();
}

template <class T>
void Deque<T>::push_front(T value) {
  items_.push_front(std::move(value));
  poppers_.notify_one();
}

template <class T>
void Deque<T>::wait_for_item(Timeout timeout, const char* what) {
  if (!items_.empty()) return;
  const Deadline d = Deadline::from(timeout);
  WaitList::Place place;  // an item taken by another pop first: wait again in turn
  while (items_.empty()) {
    const Wake w = poppers_.wait(d, place, nullptr, WaitKind::queue, this);
    if (w == Wake::killed) throw TaskletExit{};
    if (w == Wake::timed_out && items_.empty()) throw_timeout(d, what);
  }
}

template <class T>
T Deque<T>::pop_front(Timeout timeout) {
  wait_for_item(timeout, "Deque pop_front");
  T v = std::move(items_.front());
  items_.pop_front();
  return v;
}

template <class T>
T Deque<T>::pop_back(Timeout timeout) {
  wait_for_item(timeout, "Deque pop_back");
  T v = std::move(items_.back());
  items_.pop_back();
  return v;
}

template <class T>
std::optional<T> Deque<T>::try_pop_front() {
  if (items_.empty()) return std::nullopt;
  std::optional<T> v(std::move(items_.front()));
  items_.pop_front();
  return v;
}

template <class T>
std::optional<T> Deque<T>::try_pop_back() {
  if (items_.empty()) return std::nullopt;
  std::optional<T> v(std::move(items_.back()));
  items_.pop_back();
  return v;
}

}  // namespace weft
