#include "sched/detail/overflow.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <cstdint>
#include <mutex>

#include "sched/detail/loop.hpp"
#include "sched/extension.hpp"

namespace weft::detail {

namespace {

// How far below a stack's lowest address a fault address still counts as an
// overflow of that stack: its guard (a page, or a guard region of
// StackPool::kGapBytes) and beyond, as one large frame can skip a guard. A
// stack pointer below the stack is an overflow however far it went.
constexpr std::uintptr_t kReach = 256 * 1024;

// A signal handler can reach nothing but globals: the handler we replaced.
struct sigaction g_previous;
std::once_flag g_once;

std::uintptr_t stack_pointer(void* uc) noexcept {
  auto* ctx = static_cast<ucontext_t*>(uc);
#if defined(__x86_64__)
  return static_cast<std::uintptr_t>(ctx->uc_mcontext.gregs[REG_RSP]);
#elif defined(__aarch64__)
  return static_cast<std::uintptr_t>(ctx->uc_mcontext.sp);
#else
  (void)ctx;
  return 0;
#endif
}

void on_segv(int sig, siginfo_t* info, void* uc) {
  Loop* loop = current_loop();
  if (loop != nullptr && loop->in_tasklet()) {
    const Fiber& r = *loop->running();
    const auto base = reinterpret_cast<std::uintptr_t>(r.stack.base);
    const auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
    const std::uintptr_t sp = stack_pointer(uc);
    const bool fault_below = addr < base && addr + kReach >= base;
    const bool sp_below = sp != 0 && sp < base;
    if (base != 0 && (fault_below || sp_below)) report_stack_overflow(r);
  }
  // Not a tasklet stack overflow: hand it to whoever handled SIGSEGV before.
  if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
    g_previous.sa_sigaction(sig, info, uc);
    return;
  }
  if (g_previous.sa_handler == SIG_DFL || g_previous.sa_handler == SIG_IGN) {
    signal(SIGSEGV, SIG_DFL);  // returning re-executes the fault: default action
    return;
  }
  g_previous.sa_handler(sig);
}

}  // namespace

void install_overflow_handler() {
  std::call_once(g_once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_previous);
  });
}

AltSignalStack::AltSignalStack() {
  stack_t old{};
  if (sigaltstack(nullptr, &old) == 0 && (old.ss_flags & SS_DISABLE) == 0) return;  // has one
  size_ = 64 * 1024;
  void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;  // no alternate stack: overflows then die without the message
  stack_t ss{};
  ss.ss_sp = p;
  ss.ss_size = size_;
  if (sigaltstack(&ss, nullptr) != 0) {
    munmap(p, size_);
    return;
  }
  mem_ = p;
}

AltSignalStack::~AltSignalStack() {
  if (mem_ == nullptr) return;
  stack_t ss{};
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, nullptr);
  munmap(mem_, size_);
}

}  // namespace weft::detail
