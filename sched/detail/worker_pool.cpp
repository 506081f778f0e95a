#include "sched/detail/worker_pool.hpp"

#include "sched/detail/remote.hpp"
#include "sched/park.hpp"

namespace weft::detail {

WorkerPool::WorkerPool(std::shared_ptr<Remote> remote, std::size_t max_threads)
    : remote_(std::move(remote)), max_threads_(max_threads == 0 ? 1 : max_threads) {}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    jobs_.clear();
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void WorkerPool::submit(std::shared_ptr<ThreadJob> job) {
  bool start_thread;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(std::move(job));
    ++in_flight_;
    start_thread = idle_ == 0 && threads_.size() < max_threads_;
  }
  if (start_thread) {
    threads_.emplace_back([this] { work(); });
  } else {
    cv_.notify_one();
  }
}

std::size_t WorkerPool::threads() const { return threads_.size(); }

void WorkerPool::work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    while (jobs_.empty() && !stopping_) {
      ++idle_;
      cv_.wait(lock);
      --idle_;
    }
    if (stopping_) return;
    std::shared_ptr<ThreadJob> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job->execute();
    remote_->post([this, job] {
      --in_flight_;  // the pool outlives the loop's posts (Loop::~Loop drops them first)
      job->done = true;
      if (job->waiter != nullptr) unpark(*job->waiter);
    });
    job.reset();
    lock.lock();
  }
}

}  // namespace weft::detail
