#pragma once
// The exceptions of compat_twisted, named as in Twisted (twisted.internet.defer,
// twisted.internet.error, twisted.internet.task, twisted.python.failure).
// FirstError, which carries a Failure, lives in deferred_list.hpp.

#include <stdexcept>
#include <string>

#include "weft/sched/errors.hpp"

namespace weft::twisted {

// callback()/errback() on a Deferred that already has a result. With
// setDebugging(true) the message carries " C:" (creation) and " I:" (first
// invocation) stack lines.
class AlreadyCalledError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// The result of cancelling a Deferred (Deferred::cancel()).
class CancelledError : public std::runtime_error {
 public:
  CancelledError() : std::runtime_error("weft::twisted: the Deferred was cancelled") {}
  using std::runtime_error::runtime_error;
};

// addTimeout()'s deadline passed. Derives from weft::TimeoutError, so code that
// handles weft's timeouts handles this one too.
class TimeoutError : public weft::TimeoutError {
 public:
  using weft::TimeoutError::TimeoutError;
};

// errback() or fail() with no argument outside a catch block.
class NoCurrentExceptionError : public std::logic_error {
 public:
  NoCurrentExceptionError()
      : std::logic_error(
            "weft::twisted: errback()/fail() without an argument must be called inside a catch "
            "block (there is no current exception)") {}
};

// ensureDeferred() of something that is neither a Deferred nor a function.
class NotACoroutineError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A typed callback, wait<T>() or Result::as<T>() met a result of another type
// (Python's TypeError).
class TypeMismatch : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// DeferredQueue::put() on a full queue.
class QueueOverflow : public std::runtime_error {
 public:
  QueueOverflow() : std::runtime_error("weft::twisted: DeferredQueue is full (size reached)") {}
};

// DeferredQueue::get() with the backlog of waiting gets full.
class QueueUnderflow : public std::runtime_error {
 public:
  QueueUnderflow()
      : std::runtime_error("weft::twisted: DeferredQueue backlog of waiting get()s is full") {}
};

// DelayedCall::cancel/reset/delay after the call was made.
class AlreadyCalled : public std::logic_error {
 public:
  AlreadyCalled() : std::logic_error("weft::twisted: the DelayedCall was already called") {}
};

// DelayedCall::cancel/reset/delay after it was cancelled.
class AlreadyCancelled : public std::logic_error {
 public:
  AlreadyCancelled() : std::logic_error("weft::twisted: the DelayedCall was already cancelled") {}
};

// Base of the Cooperator's errors.
class SchedulerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The Cooperator was stopped (or was already stopped when the task was added).
class SchedulerStopped : public SchedulerError {
 public:
  SchedulerStopped() : SchedulerError("weft::twisted: the Cooperator was stopped") {}
};

// The CooperativeTask has finished, one way or another.
class TaskFinished : public SchedulerError {
 public:
  using SchedulerError::SchedulerError;
};

// The task's iterator was exhausted.
class TaskDone : public TaskFinished {
 public:
  TaskDone() : TaskFinished("weft::twisted: the CooperativeTask is done") {}
};

// The task was stopped with stop().
class TaskStopped : public TaskFinished {
 public:
  TaskStopped() : TaskFinished("weft::twisted: the CooperativeTask was stopped") {}
};

// The task's iterator threw (or a Deferred it yielded failed).
class TaskFailed : public TaskFinished {
 public:
  TaskFailed() : TaskFinished("weft::twisted: the CooperativeTask failed") {}
};

// CooperativeTask::resume() of a task that is not paused.
class NotPaused : public SchedulerError {
 public:
  NotPaused() : SchedulerError("weft::twisted: resume() of a CooperativeTask that is not paused") {}
};

// Reactor::stop() when the reactor is not running.
class ReactorNotRunning : public std::logic_error {
 public:
  ReactorNotRunning() : std::logic_error("weft::twisted: can't stop a reactor that isn't running") {}
};

// Reactor::run() a second time (a reactor runs once, as in Twisted).
class ReactorNotRestartable : public std::logic_error {
 public:
  ReactorNotRestartable() : std::logic_error("weft::twisted: a Reactor cannot be run twice") {}
};

// Python's SystemExit, for react(): a failure carrying it sets the exit code.
// Like TaskletExit it does not derive from std::exception, so handlers of
// ordinary errors do not swallow it.
class SystemExit {
 public:
  // sys.exit(code).
  explicit SystemExit(int code = 0) : code_(code) {}
  // sys.exit("message"): exit code 1, the message is logged by react().
  explicit SystemExit(std::string message) : code_(1), message_(std::move(message)) {}
  // The exit code react() returns.
  int code() const noexcept { return code_; }
  // The message of sys.exit("message"), else empty.
  const std::string& message() const noexcept { return message_; }
  // The message, or "SystemExit".
  const char* what() const noexcept { return message_.empty() ? "SystemExit" : message_.c_str(); }

 private:
  int code_;
  std::string message_;
};

}  // namespace weft::twisted
