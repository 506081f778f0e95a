// The loop's side of seeing inside (sched/extension.hpp, "seeing inside"):
// what the tasklet layer's dump and exit diagnostics read from the scheduler.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sched/detail/backtrace.hpp"
#include "sched/detail/loop.hpp"
#include "sched/extension.hpp"

namespace weft::detail {

Fiber* first_live_fiber() noexcept {
  Loop* loop = current_loop();
  return loop == nullptr ? nullptr : loop->live().front();
}

std::int64_t parked_for_ns(const Fiber& f) noexcept {
  Loop* loop = current_loop();
  if (loop == nullptr) return 0;
  // Unsigned arithmetic: the stamp wraps (every 52 days), the difference does not.
  const auto now = static_cast<std::uint32_t>(clock_ns() >> Loop::kCoarseShift);
  const std::uint32_t waited = now - f.parked_at;
  return static_cast<std::int64_t>(waited) << Loop::kCoarseShift;
}

StackUse stack_use(const Fiber& f) noexcept {
  StackUse u;
  if (f.stack.base == nullptr) return u;
  u.reserve = f.stack.usable();
  const auto bottom = reinterpret_cast<std::uintptr_t>(f.stack.base);
  const std::uintptr_t top = bottom + u.reserve;
  char probe = 0;
  const Loop* loop = current_loop();
  const auto sp = loop != nullptr && loop->running() == &f
                      ? reinterpret_cast<std::uintptr_t>(&probe)
                      : reinterpret_cast<std::uintptr_t>(f.ctx.fctx);
  if (sp > bottom && sp <= top) u.used = top - sp;
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident((u.reserve + page - 1) / page);
  try {
    if (::mincore(f.stack.base, u.reserve, resident.data()) == 0) {
      for (unsigned char r : resident) u.touched += (r & 1) != 0 ? page : 0;
    }
  } catch (...) {
  }
  return u;
}

std::string backtrace_of(const Fiber& f, const char* indent) {
  if (!load_unwinder()) return std::string(indent) + "(" + unwinder_missing() + ")\n";
  constexpr std::size_t kMax = 48;
  std::vector<Frame> frames(kMax);
  std::size_t n = 0;
  const Loop* loop = current_loop();
  if (loop != nullptr && loop->running() == &f) {
    n = frames_here(frames.data(), kMax);
  } else if (f.stack.base == nullptr) {
    return std::string(indent) + "(no stack: it has not started, or rests between calls)\n";
  } else {
    n = frames_of(f.ctx, frames.data(), kMax);
  }
  if (n == 0) return std::string(indent) + "(no frames could be unwound)\n";
  return format_frames(frames.data(), n, indent);
}

void main_finished() noexcept {
  if (Loop* loop = current_loop()) loop->main_finished();
}

}  // namespace weft::detail
