#pragma once
// TaskGroup: structured concurrency (a nursery). Tasklets spawned through the
// group are waited for before the group's scope ends; when one fails, the
// others are killed and the first failure is rethrown by join().
//
//   weft::TaskGroup g;
//   g.spawn([] { fetch("a"); });
//   g.spawn([] { fetch("b"); });
//   g.join();  // rethrows the first failure, after killing the rest

#include <cstddef>
#include <exception>
#include <vector>

#include "weft/tasklet/tasklet.hpp"

namespace weft {

class TaskGroup {
 public:
  // Must be created in a tasklet (its members are that tasklet's children).
  TaskGroup();
  // Waits for every member (a kill of the waiting tasklet is deferred until
  // they are done). When the scope is left by an exception, the members are
  // killed first. A failure nobody join()ed is logged.
  ~TaskGroup();
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  // Spawns a member. If it fails (any exception but TaskletExit), every other
  // member is killed and the failure is kept for join().
  template <class F>
  auto spawn(F&& f, SpawnOptions options = {}) -> TaskletOf<detail::result_t<F>>;

  // Waits for every member under one deadline; then rethrows the first
  // failure, if any. Throws TimeoutError when the deadline passes (the members
  // keep running) and TaskletExit when the caller is killed.
  void join(Timeout timeout = weft::current);
  // Kills every member that is still running.
  void kill() noexcept;

  std::size_t size() const noexcept { return members_.size(); }
  const std::vector<Tasklet>& members() const noexcept { return members_; }
  // The first failure (null when none).
  std::exception_ptr first_failure() const noexcept { return failure_; }

 private:
  void fail(std::exception_ptr e) noexcept;
  void wait_all_shielded() noexcept;

  std::vector<Tasklet> members_;
  std::exception_ptr failure_;
  bool failure_reported_ = false;
  int uncaught_at_start_;
};

template <class F>
auto TaskGroup::spawn(F&& f, SpawnOptions options) -> TaskletOf<detail::result_t<F>> {
  using R = detail::result_t<F>;
  members_.reserve(members_.size() + 1);  // so that recording the member cannot throw
  auto t = detail::spawn_with_type(
      [this, fn = std::decay_t<F>(std::forward<F>(f))]() mutable -> R {
        try {
          return fn();
        } catch (const TaskletExit&) {
          throw;
        } catch (...) {
          fail(std::current_exception());
          throw;
        }
      },
      &options, typeid(std::decay_t<F>));
  members_.push_back(t);
  return t;
}

}  // namespace weft
