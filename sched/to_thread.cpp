#include "sched/to_thread.hpp"

#include "sched/detail/loop.hpp"
#include "sched/park.hpp"

namespace weft::detail {

void run_on_worker(const std::shared_ptr<ThreadJob>& job, Timeout t) {
  Fiber& self = current_fiber("to_thread()");
  const Deadline d = Deadline::from(t);
  Loop::current()->workers().submit(job);
  job->waiter = &self;
  Wake w = Wake::ready;
  while (!job->done) {
    w = park(d);
    if (w != Wake::ready) break;
  }
  job->waiter = nullptr;
  if (!job->done) check_wake(w, d, "to_thread()");
}

}  // namespace weft::detail
