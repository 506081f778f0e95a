#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "sched/detail/loop.hpp"
#include "sched/detail/stack_pool.hpp"
#include "sched/extension.hpp"
#include "sched/wait_list.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Tasklet;
using weft_test::run;

namespace {

// Recurses until the stack runs out; `yield_every` > 0 yields on the way down
// (so that a canary stack is checked at each switch). Endless on purpose.
// Below its stack ASan knows nothing of the frames: weft's checks are tested.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
__attribute__((no_sanitize_address)) int dive(int depth, int yield_every) {
  volatile char frame[512];
  for (std::size_t i = 0; i < sizeof frame; ++i) frame[i] = static_cast<char>(depth & 0x7f);
  if (yield_every > 0 && depth % yield_every == 0) Tasklet::yield_();
  return dive(depth + 1, yield_every) + frame[depth % sizeof frame];
}
#pragma GCC diagnostic pop

struct ChildResult {
  int status = 0;
  std::string stderr_text;
};

// Runs body in a forked child with stderr captured.
template <class F>
ChildResult in_child(F body) {
  int pipefd[2];
  REQUIRE(::pipe(pipefd) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(pipefd[1], STDERR_FILENO);
    ::close(pipefd[0]);
    body();
    ::_exit(0);
  }
  ::close(pipefd[1]);
  ChildResult r;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) r.stderr_text.append(buf, static_cast<std::size_t>(n));
  ::close(pipefd[0]);
  ::waitpid(pid, &r.status, 0);
  return r;
}

// Which guard a test's stacks get: a guard page of their own (two maps each),
// a guard region (MADV_GUARD_INSTALL), or none (the canary).
enum class Guard { page, region, canary };

void set_guard(Guard g) {
  auto& pool = weft::detail::current_loop()->stacks();
  pool.set_guard_regions(g == Guard::region);
  if (g == Guard::canary) pool.set_guard_budget(0);
}

bool have_guard_regions() { return weft::detail::StackPool::guard_regions_supported(); }

void overflow_in_loop(Guard g, int yield_every) {
  weft::dispatch([=] {
    set_guard(g);
    auto t = Tasklet::spawn([=] { return dive(0, yield_every); }, {.name = "deep-diver"});
    t.join();
  });
}

// A frame larger than a page on a stack of its size: the array's far end (its
// first byte) lies beyond the stack (144 bytes below it in a release build,
// 512 in a debug one: past the 256-byte canary weft had), and is written with
// no call or switch in between unless `then` says so. ASan would move the
// array to its fake stack; the real one is what is tested.
enum class Then { ret, yield };

template <std::size_t N>
__attribute__((noinline, no_sanitize_address)) int big_frame(Then then) {
  volatile char a[N];
  a[0] = 1;
  a[N - 1] = 2;
  if (then == Then::yield) Tasklet::yield_();
  return a[0] + a[N - 1];
}

// Under StackPool::kColourMinSize: a stack whose first frame starts at its
// top, so that a frame of the stack's size ends the same few bytes below it
// on every run (a coloured stack's colour would move that end by up to 1,984
// bytes, past the canary).
constexpr std::size_t kBigStack = 16 << 10;
static_assert(kBigStack < weft::detail::Stack::kColourMinSize);
constexpr int kSleepers = 20'000;

// The big frame on the 20,001st live stack of the loop, with 20,000 parked
// neighbours: with Guard::page it is beyond the guard-page budget of a default
// kernel (about 16,000), so a stack without a guard.
void big_frame_in_loop(Guard g, Then then) {
  weft::dispatch([=] {
    set_guard(g);
    weft::WaitList gate;
    std::vector<weft::TaskletOf<void>> sleepers;
    for (int i = 0; i < kSleepers; ++i) {
      sleepers.push_back(Tasklet::spawn([&gate] { gate.wait(weft::Deadline::never()); }));
    }
    while (gate.size() < kSleepers) Tasklet::yield_();
    auto t = Tasklet::spawn([=] { return big_frame<kBigStack>(then); },
                            {.name = "big-frame", .stack_size = kBigStack});
    t.join();
    gate.notify_all();
    for (auto& s : sleepers) s.join();
  });
}

void check_stopped_naming(const ChildResult& r, const char* name) {
  INFO("child's stderr: " << r.stderr_text);
  CHECK(WIFSIGNALED(r.status));
  if (WIFSIGNALED(r.status)) CHECK(WTERMSIG(r.status) == SIGABRT);
  CHECK(r.stderr_text.find(std::string("stack overflow in tasklet '") + name + "'") !=
        std::string::npos);
}

// Lines of /proc/self/maps: the kernel's memory maps of this process.
std::size_t map_count() {
  std::FILE* f = std::fopen("/proc/self/maps", "r");
  REQUIRE(f != nullptr);
  std::size_t n = 0;
  for (int c; (c = std::fgetc(f)) != EOF;) n += c == '\n';
  std::fclose(f);
  return n;
}

}  // namespace

TEST_SUITE("sched") {

TEST_CASE("a tasklet gets its stack at its first run and stacks are reused LIFO") {
  run([] {
    auto t = Tasklet::spawn([] {});
    CHECK(t.stack_size() == 0);
    CHECK(weft::loop_stats().live_stacks == 1);  // main's only
    t.join();
    auto stats = weft::loop_stats();
    std::size_t made = stats.live_stacks + stats.pooled_stacks;
    for (int i = 0; i < 1000; ++i) Tasklet::spawn([] { Tasklet::yield_(); }).join();
    stats = weft::loop_stats();
    CHECK(stats.live_stacks + stats.pooled_stacks == made);  // nothing new was mapped
  });
}

TEST_CASE("the first frames of live tasklets start at different offsets in their pages (stack colours)") {
  run([] {
    // 64 tasklets alive at once, each noting where its body's frame lies.
    constexpr int kLive = 64;
    std::vector<std::uintptr_t> offsets;
    std::vector<Tasklet> ts;
    for (int i = 0; i < kLive; ++i) {
      ts.push_back(Tasklet::spawn([&offsets] {
        offsets.push_back(reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)) % 4096);
        Tasklet::yield_();
      }));
    }
    for (auto& t : ts) Tasklet::join(t);
    REQUIRE(offsets.size() == kLive);
    std::sort(offsets.begin(), offsets.end());
    const auto distinct = std::unique(offsets.begin(), offsets.end()) - offsets.begin();
    // 64 stacks made in turn take each of the 32 colours twice (uncoloured,
    // all 64 share one offset).
    CHECK(distinct == weft::detail::Stack::kColours);
    // A colour is whole cache lines.
    for (auto o : offsets) CHECK(o % 64 == offsets.front() % 64);
  });
}

TEST_CASE("stacks beyond the guard budget are unguarded canary stacks and work the same") {
  run([] {
    auto& pool = weft::detail::current_loop()->stacks();
    pool.set_guard_regions(false);
    pool.set_guard_budget(weft::detail::StackPool::guard_maps_in_use());
    const std::size_t guarded_before = pool.guarded();  // main's stack
    std::vector<weft::TaskletOf<int>> ts;
    for (int i = 0; i < 200; ++i) {
      ts.push_back(Tasklet::spawn([i] {
        Tasklet::sleep(0.01);
        return i;
      }));
    }
    auto rs = Tasklet::join_all(ts);
    for (int i = 0; i < 200; ++i) CHECK(rs[i].value() == i);
    CHECK(weft::loop_stats().guarded_stacks == guarded_before);  // the 200 have canaries
  });
}

TEST_CASE("the guard budget follows vm.max_map_count") {
  weft::detail::StackPool pool;
  CHECK(pool.guard_budget() > 1000);
  CHECK(pool.default_size() == weft::detail::StackPool::builtin_default_size());
  auto s = pool.acquire();
  CHECK(s.guarded);
  CHECK(s.size == pool.default_size());
  pool.release(s);
  auto again = pool.acquire();
  CHECK(again.base == s.base);  // LIFO
  pool.release(again);
}

TEST_CASE("the guard-page budget is the process's, shared by its loops' pools") {
  using weft::detail::StackPool;
  StackPool a, b;
  a.set_guard_regions(false);
  b.set_guard_regions(false);
  const std::size_t in_use = StackPool::guard_maps_in_use();
  a.set_guard_budget(in_use + 1);
  b.set_guard_budget(in_use + 1);
  auto sa = a.acquire();
  auto sb = b.acquire();
  CHECK(sa.guard_map);
  CHECK_FALSE(sb.guarded);  // the one guard page left went to the other pool
  CHECK(StackPool::guard_maps_in_use() == in_use + 1);
  a.release(sa);
  b.release(sb);
}

TEST_CASE("with guard regions every stack is guarded and costs no memory map") {
  if (!have_guard_regions()) {
    MESSAGE("skipped: this kernel has no MADV_GUARD_INSTALL");
    return;
  }
  using weft::detail::StackPool;
  StackPool pool;
  CHECK(pool.guard_regions());
  const std::size_t maps_before = map_count();
  const std::size_t guard_maps_before = StackPool::guard_maps_in_use();
  std::vector<weft::detail::Stack> stacks;
  for (int i = 0; i < 2000; ++i) stacks.push_back(pool.acquire());
  for (const auto& s : stacks) {
    CHECK(s.guarded);
    CHECK_FALSE(s.guard_map);
    CHECK(s.canary == nullptr);
    CHECK(s.usable() == s.size);
  }
  CHECK(pool.guarded() == 2000);
  CHECK(StackPool::guard_maps_in_use() == guard_maps_before);
  // A slab is one map, of 14 stacks at least (and adjacent slabs merge); a
  // guard page would cost two maps a stack.
  CHECK(map_count() < maps_before + 2000 / 10);
  for (const auto& s : stacks) pool.release(s);
}

TEST_CASE("stack overflow on a guarded stack stops the process with a message naming the tasklet") {
  check_stopped_naming(in_child([] { overflow_in_loop(Guard::page, 0); }), "deep-diver");
}

TEST_CASE("stack overflow on a guard-region stack stops the process with a message naming the tasklet") {
  if (!have_guard_regions()) {
    MESSAGE("skipped: this kernel has no MADV_GUARD_INSTALL");
    return;
  }
  check_stopped_naming(in_child([] { overflow_in_loop(Guard::region, 0); }), "deep-diver");
}

TEST_CASE("stack overflow on a canary stack is caught at the next switch") {
  check_stopped_naming(in_child([] { overflow_in_loop(Guard::canary, 4); }), "deep-diver");
}

TEST_CASE("stack overflow on a canary stack without switches is caught by the fault handler") {
  auto r = in_child([] { overflow_in_loop(Guard::canary, 0); });
  CHECK(WIFSIGNALED(r.status));
  CHECK(r.stderr_text.find("stack overflow in tasklet 'deep-diver'") != std::string::npos);
}

TEST_CASE("a frame larger than a page on the 20,000th live stack stops the process naming the tasklet") {
  if (!have_guard_regions()) {
    MESSAGE("skipped: this kernel has no MADV_GUARD_INSTALL");
    return;
  }
  check_stopped_naming(in_child([] { big_frame_in_loop(Guard::region, Then::ret); }), "big-frame");
}

TEST_CASE("without guard regions a frame larger than a page on the 20,000th stack is caught") {
  SUBCASE("written, then returned from") {
    check_stopped_naming(in_child([] { big_frame_in_loop(Guard::page, Then::ret); }), "big-frame");
  }
  SUBCASE("written, then switched away from") {
    check_stopped_naming(in_child([] { big_frame_in_loop(Guard::page, Then::yield); }), "big-frame");
  }
}

}
