#pragma once
// The small pool of OS threads behind to_thread(). Threads start lazily, up to
// a bound, and are joined when the loop ends. A job's completion travels back
// through the loop's Remote, so a worker never touches loop state.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace weft::detail {

struct Fiber;
struct Remote;

// One offloaded call. execute() runs on a worker; the rest is loop-thread only.
struct ThreadJob {
  virtual ~ThreadJob() = default;
  virtual void execute() noexcept = 0;
  Fiber* waiter = nullptr;  // the parked caller; nullptr once it gave up (timeout, kill)
  bool done = false;
};

class WorkerPool {
 public:
  WorkerPool(std::shared_ptr<Remote> remote, std::size_t max_threads);
  ~WorkerPool();  // finishes the running jobs, drops the queued ones, joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void submit(std::shared_ptr<ThreadJob> job);
  std::size_t threads() const;
  // Jobs submitted whose completion has not come back yet (loop thread).
  std::size_t busy() const noexcept { return in_flight_; }

 private:
  void work();

  std::shared_ptr<Remote> remote_;
  std::size_t max_threads_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<ThreadJob>> jobs_;  // guarded by mu_
  std::size_t idle_ = 0;                         // guarded by mu_
  bool stopping_ = false;                        // guarded by mu_
  std::vector<std::thread> threads_;             // loop thread only
  std::size_t in_flight_ = 0;                    // loop thread only
};

}  // namespace weft::detail
