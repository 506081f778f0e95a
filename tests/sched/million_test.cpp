#include <unistd.h>

#include <cstdio>

#include "sched/detail/context.hpp"
#include "sched/detail/loop.hpp"
#include "sched/extension.hpp"
#include "sched/wait_list.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

#ifdef WEFT_ASAN
// The sanitizer runtime's (GCC 12 ships no sanitizer/allocator_interface.h).
extern "C" void __sanitizer_purge_allocator();
#endif

using weft::Tasklet;
using weft_test::run;

namespace {

// Bytes of this process resident in memory (/proc/self/statm). Under ASan,
// what its allocator's quarantine holds of freed memory is given back first:
// the pools are under test, not ASan's.
std::size_t resident_bytes() {
#ifdef WEFT_ASAN
  __sanitizer_purge_allocator();
#endif
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  REQUIRE(f != nullptr);
  unsigned long size = 0, resident = 0;
  const int got = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  REQUIRE(got == 2);
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

// Spawns n sleepers, kills them, lets the loop go idle and checks that what
// their stacks (and records) held went back to the kernel.
void check_memory_given_back(std::size_t n, bool guard_regions) {
  run([n, guard_regions] {
    weft::detail::current_loop()->stacks().set_guard_regions(guard_regions);
    Tasklet::sleep(0.05);  // idle once: whatever earlier tests pooled is trimmed
    const std::size_t before = resident_bytes();
    std::size_t peak = 0;
    {
      std::vector<Tasklet> ts;
      ts.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        ts.push_back(Tasklet::spawn([] { Tasklet::sleep(weft::never); }));
      }
      while (weft::loop_stats().live_stacks < n + 1) Tasklet::yield_();  // all asleep
      peak = resident_bytes();
      for (auto& t : ts) t.kill();
    }
    // The loop gives pages back in bounded steps whenever it is idle. What it
    // keeps (1,024 stacks) is a quarter of the growth at most; under ASan, where
    // each kept stack also holds 32 KiB of shadow, half.
    const std::size_t bound = (peak - before) / (weft::detail::context_sanitized() ? 2 : 4);
    std::size_t after = resident_bytes();
    for (int i = 0; i < 250 && after > before + bound; ++i) {
      Tasklet::sleep(0.02);
      after = resident_bytes();
    }
    INFO("resident before " << before / 1024 << " KiB, with " << n << " sleepers "
                            << peak / 1024 << " KiB, after " << after / 1024 << " KiB");
    REQUIRE(peak > before + n * 2048);  // each sleeper held at least half a page
    CHECK(after < before + bound);
  });
}

}  // namespace

TEST_SUITE("sched") {

TEST_CASE("one million live tasklets spawned, parked and joined on a default kernel") {
  // Under ASan every stack costs shadow memory and a larger reserve: a tenth.
  const std::size_t n = weft::detail::context_sanitized() ? 100'000 : 1'000'000;
  run([n] {
    weft::WaitList gate;
    std::vector<weft::TaskletOf<std::size_t>> ts;
    ts.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      ts.push_back(Tasklet::spawn([&gate, i] {
        gate.wait(weft::Deadline::never());
        return i;
      }));
    }
    while (gate.size() < n) Tasklet::yield_();  // all of them parked at once
    auto stats = weft::loop_stats();
    CHECK(stats.live_tasklets == n + 1);
    CHECK(stats.live_stacks == n + 1);
    gate.notify_all();
    std::size_t sum = 0;
    for (auto& t : ts) sum += t.join();
    CHECK(sum == n * (n - 1) / 2);
  });
}

TEST_CASE("the memory of killed sleepers goes back to the kernel once the loop is idle") {
  // 100,000 sleepers hold about 400 MiB; under ASan a fifth (stacks are
  // 256 KiB and carry shadow memory).
  const std::size_t n = weft::detail::context_sanitized() ? 20'000 : 100'000;
  SUBCASE("guard regions") {
    if (!weft::detail::StackPool::guard_regions_supported()) {
      MESSAGE("skipped: this kernel has no MADV_GUARD_INSTALL");
      return;
    }
    check_memory_given_back(n, true);
  }
  SUBCASE("guard pages, then canary stacks") {
    // Under ASan what stays is its shadow: a canary slot's shadow does not
    // end on a page, and the two edge pages it shares with its neighbours
    // stay (drop_shadow), 8 KiB a stack, a kernel's worth of readings of its
    // gap aside. Measured on Linux 6.18 (2026-12-02): 64% of the growth
    // stayed. The release build checks this case.
    if (weft::detail::context_sanitized()) {
      MESSAGE("skipped under ASan: its shadow's edge pages stay with canary stacks");
      return;
    }
    check_memory_given_back(n, false);
  }
}

}
