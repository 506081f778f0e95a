#pragma once
// The loops of one dispatch_loops() call: one per thread, each with its own
// tasklets, stacks and records, sharing only what is here.
//
// When does the group end? When quit() is called on any loop (every loop then
// quits with that code), or when no loop has work left. A loop "has work"
// while it has non-daemon tasklets; a loop without any stays alive, idle,
// because another loop may still hand it some (spawn_on, a posted function).
// `busy` counts the loops with work plus the posts in flight between loops
// (each post to a loop of a group holds a token until it has run, so work
// handed to an idle loop cannot be missed): the loop whose release brings it
// to zero ends the group.

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace weft::detail {

struct Remote;

class LoopGroup {
 public:
  explicit LoopGroup(std::size_t loops);
  LoopGroup(const LoopGroup&) = delete;
  LoopGroup& operator=(const LoopGroup&) = delete;

  std::size_t size() const noexcept { return remotes_.size(); }
  // Loop i's door (set when the loop starts, before any loop runs a tasklet).
  const std::shared_ptr<Remote>& remote(std::size_t i) const noexcept { return remotes_[i]; }
  void set_remote(std::size_t i, std::shared_ptr<Remote> r) noexcept { remotes_[i] = std::move(r); }

  // Work counting (see above). Thread-safe.
  void take() noexcept { busy_.fetch_add(1, std::memory_order_relaxed); }
  void release(std::size_t n = 1) noexcept;
  // True once no loop has work left (or quit() was called): every loop ends.
  bool done() const noexcept { return done_.load(std::memory_order_acquire); }

  // Asks every loop to quit with `code`; the first call wins. Thread-safe.
  void quit(int code) noexcept;
  // Whether quit() was called, and its code.
  bool quit_requested() const noexcept { return quit_.load(std::memory_order_acquire); }
  int quit_code() const noexcept { return quit_code_; }

 private:
  void wake_all() noexcept;

  std::vector<std::shared_ptr<Remote>> remotes_;
  std::atomic<std::size_t> busy_;
  std::atomic<bool> done_{false};
  std::atomic<bool> quit_{false};
  std::atomic<bool> quit_claimed_{false};
  int quit_code_ = 0;  // written before quit_ is released
};

}  // namespace weft::detail
