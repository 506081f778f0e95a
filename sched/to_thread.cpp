#include "sched/to_thread.hpp"

#include "sched/detail/loop.hpp"
#include "sched/extension.hpp"
#include "sched/park.hpp"

namespace weft::detail {

void run_on_worker(const std::shared_ptr<ThreadJob>& job, const Deadline& d,
                   std::string_view what) {
  Fiber& self = current_fiber("to_thread()");
  current_loop()->workers().submit(job);
  job->waiter = &self;
  Wake w = Wake::ready;
  while (!job->done) {
    w = park(d, WaitKind::to_thread, job.get());
    if (w != Wake::ready) break;
  }
  job->waiter = nullptr;
  if (!job->done) check_wake(w, d, what);
}

}  // namespace weft::detail
