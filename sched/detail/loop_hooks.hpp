#pragma once
// What the loop shares with the extension API (sched/extension.hpp): the
// thread's loop pointer, the hooks of the layer that makes fibers, and the
// per-layer slot types. Apart from loop.hpp so that loop.hpp need not include
// the extension header, which includes loop.hpp for its inline wait core.

#include <cstddef>
#include <exception>
#include <memory>

#include "weft/sched/detail/fiber.hpp"
#include "weft/sched/loop.hpp"

namespace weft::detail {

class Loop;
// The one global: the loop of the running thread (see current_loop()).
extern thread_local constinit Loop* tls_loop __attribute__((tls_model("initial-exec")));

// What the layer that makes fibers (tasklet/) provides to the scheduler. All
// called on the loop thread.
// What the loop asks the tasklet layer to tell (LoopHooks::report).
enum class Report {
  sigquit,        // SIGQUIT with DispatchOptions::dump_on_sigquit: the dump, to stderr
  deadlock,       // the loop would block forever: the parked tasklets nothing can wake
  main_returned,  // main ended and non-daemon tasklets keep dispatch() running (debug)
  main_lingers,   // the same, still, after the linger delay (info)
  quit_signal,    // SIGINT/SIGTERM ends dispatch() after main ended: what was alive
};

struct LoopHooks {
  // The fiber's body, run on its own stack at its first switch-in. Returns
  // when the fiber is done; the loop then switches away from it for good.
  void (*run)(Fiber&) noexcept = nullptr;
  // Finishes a fiber that will not run (the rest of) its body, with `why` as
  // its result: TaskletExit for a kill before its first run, the error when no
  // stack could be had for it. The loop then calls finish_unstarted and release.
  void (*finish_unrun)(Fiber&, std::exception_ptr why) noexcept = nullptr;
  // After a finished fiber's last switch (its stack is back in the pool):
  // drops the loop's reference.
  void (*release)(Fiber&) noexcept = nullptr;
  // Writes the fiber's name into buf (async-signal-safe: no allocation).
  std::size_t (*describe)(const Fiber&, char* buf, std::size_t n) noexcept = nullptr;
  // Housekeeping when the loop is about to block (trimming pooled records).
  // Returns true when more is left to do: the loop then polls without blocking.
  bool (*idle)() noexcept = nullptr;
  // Tells what the loop's tasklets are doing, in the loop's own context (see
  // Report). `arg`: the signal number for Report::quit_signal.
  void (*report)(Report why, int arg) noexcept = nullptr;
};

// One slot per layer; torn down with the loop, in reverse slot order.
enum class ExtSlot : unsigned { tasklet, mailbox, io, twisted, count };

struct LoopExtension {
  virtual ~LoopExtension() = default;
  // Adds this layer's figures to loop_stats().
  virtual void add_stats(LoopStats&) const noexcept {}
};

}  // namespace weft::detail
