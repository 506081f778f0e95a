#pragma once
// QueueChannel<T>: a buffered channel (Concurrence's QueueChannel): send()
// queues the value and returns; receive() parks until there is one. With a
// capacity, send() parks while the queue is full.
//
//   weft::QueueChannel<Job> jobs(100);           // at most 100 queued
//   jobs.send(job);                              // parks only when full
//   Job j = jobs.receive(1.0);
//
// Values stay queued until a running receiver takes them, so a receiver (or a
// sender parked on a full queue) killed or timed out at any moment loses
// none. A send wakes the oldest parked receiver (it runs in its turn).
// Loop-thread only.

#include <cstddef>
#include <deque>
#include <optional>

#include "weft/sched/park.hpp"
#include "weft/sched/timeout.hpp"
#include "weft/sched/wait_list.hpp"

namespace weft {

template <class T>
class QueueChannel {
 public:
  // An empty queue of at most `capacity` values (0: unbounded).
  explicit QueueChannel(std::size_t capacity = 0) : capacity_(capacity) {}
  QueueChannel(const QueueChannel&) = delete;
  QueueChannel& operator=(const QueueChannel&) = delete;

  // Queues `value`, parking while the queue is full. Throws TimeoutError when
  // `timeout` passes first (the value is not queued), TaskletExit when killed;
  // parking needs a tasklet (NotInTasklet otherwise).
  void send(T value, Timeout timeout = weft::current);
  // Queues `value` unless the queue is full (then returns false and drops it).
  bool try_send(T value);
  // The oldest value, parking until there is one. Throws TimeoutError when
  // `timeout` passes first, TaskletExit when killed; parking needs a tasklet.
  T receive(Timeout timeout = weft::current);
  // The oldest value, or nothing when empty. Never parks.
  std::optional<T> try_receive();

  // True while a tasklet is parked in receive().
  bool has_receiver() const noexcept { return !receivers_.empty(); }
  // True while a tasklet is parked in send() (the queue is full).
  bool has_sender() const noexcept { return !senders_.empty(); }
  // How many values are queued.
  std::size_t size() const noexcept { return items_.size(); }
  // The bound given at construction (0: unbounded).
  std::size_t capacity() const noexcept { return capacity_; }
  // True when a send() would park.
  bool full() const noexcept { return capacity_ != 0 && items_.size() >= capacity_; }

 private:
  void push(T&& value);
  T pop();

  std::size_t capacity_;
  std::deque<T> items_;
  WaitList receivers_;
  WaitList senders_;
};

}  // namespace weft

#include "weft/sync/queue_channel_impl.hpp"
