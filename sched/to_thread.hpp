#pragma once
// Runs a blocking function on a worker thread and parks the calling tasklet
// until it returns: the way to call a blocking library (getaddrinfo, a file
// read, a CPU-heavy hash) without stalling the loop.

#include "weft/sched/config.hpp"

#include <exception>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "weft/sched/detail/worker_pool.hpp"
#include "weft/sched/park.hpp"
#include "weft/sched/timeout.hpp"

namespace weft {

namespace detail {

template <class F, class R>
struct ThreadCall final : ThreadJob {
  explicit ThreadCall(F&& f) : fn(std::move(f)) {}
  void execute() noexcept override {
    try {
      if constexpr (std::is_void_v<R>) {
        (*fn)();
      } else {
        result.emplace((*fn)());
      }
    } catch (...) {
      error = std::current_exception();
    }
    fn.reset();  // the callable is destroyed on the worker, right after it ran
  }
  std::optional<F> fn;
  std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> result{};
  std::exception_ptr error;
};

// Submits the job and parks until it is done; throws TaskletExit, or the
// TimeoutError check_wake words for `d` and `what`, when the caller gives up
// (the job still runs to completion, and its result is dropped).
void run_on_worker(const std::shared_ptr<ThreadJob>& job, const Deadline& d,
                   std::string_view what);

}  // namespace detail

// to_thread() (below) under a deadline the caller already holds (one deadline
// shared by the steps of a call); on timeout throws the TimeoutError
// check_wake words for `d` and `what`. Must be called in a tasklet.
template <class F>
auto to_thread(F&& f, const Deadline& d, std::string_view what)
    -> std::invoke_result_t<std::decay_t<F>&> {
  using Fn = std::decay_t<F>;
  using R = std::invoke_result_t<Fn&>;
  auto job = std::make_shared<detail::ThreadCall<Fn, R>>(Fn(std::forward<F>(f)));
  detail::run_on_worker(job, d, what);
  // Taken out of the job, the exception ends its life on this thread, not on
  // the worker that may drop the job last (its reference count lives in the
  // C++ runtime, where ThreadSanitizer cannot see it order the two threads).
  if (job->error) std::rethrow_exception(std::exchange(job->error, nullptr));
  if constexpr (!std::is_void_v<R>) return std::move(*job->result);
}

// Runs f() on the loop's worker pool (a few OS threads, started on demand) and
// returns its result, or rethrows its exception, in the calling tasklet, which
// stays parked meanwhile. f and its captures are destroyed on the worker
// thread. On timeout or kill the caller gets TimeoutError / TaskletExit at once,
// while f keeps running to its end on the worker. Must be called in a tasklet.
template <class F>
auto to_thread(F&& f, Timeout timeout = current) -> std::invoke_result_t<std::decay_t<F>&> {
  current_fiber("to_thread()");
  return to_thread(std::forward<F>(f), Deadline::from(timeout), "to_thread()");
}

}  // namespace weft
