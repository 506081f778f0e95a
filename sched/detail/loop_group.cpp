#include "sched/detail/loop_group.hpp"

#include "sched/detail/remote.hpp"

namespace weft::detail {

LoopGroup::LoopGroup(std::size_t loops) : remotes_(loops), busy_(loops) {}

void LoopGroup::release(std::size_t n) noexcept {
  if (busy_.fetch_sub(n, std::memory_order_acq_rel) == n) {
    done_.store(true, std::memory_order_release);
    wake_all();
  }
}

void LoopGroup::quit(int code) noexcept {
  if (quit_claimed_.exchange(true, std::memory_order_acq_rel)) return;
  quit_code_ = code;
  quit_.store(true, std::memory_order_release);
  wake_all();
}

void LoopGroup::wake_all() noexcept {
  for (const auto& r : remotes_) {
    if (r == nullptr) continue;
    std::lock_guard<std::mutex> lock(r->mu);
    if (r->poller != nullptr) r->poller->wakeup();
  }
}

}  // namespace weft::detail
