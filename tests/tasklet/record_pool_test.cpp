#include <array>
#include <chrono>
#include <cstring>
#include <cstdint>
#include <string>
#include <vector>

#include "sched/loop.hpp"
#include "tasklet/detail/record_pool.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Tasklet;
using weft::TaskletOf;
using weft_test::run;

TEST_SUITE("tasklet") {

TEST_CASE("records come from the loop's pool and are all freed when their handles go") {
  run([] {
    const auto before = weft::loop_stats();
    {
      std::vector<TaskletOf<int>> ts;
      for (int i = 0; i < 1000; ++i) ts.push_back(Tasklet::spawn([i] { return i; }));
      CHECK(weft::loop_stats().live_records == before.live_records + 1000);
      long sum = 0;
      for (auto& t : ts) sum += t.join();
      CHECK(sum == 999 * 1000 / 2);
      CHECK(weft::loop_stats().live_records == before.live_records + 1000);  // handles keep them
    }
    CHECK(weft::loop_stats().live_records == before.live_records);
    CHECK(weft::loop_stats().record_bytes > 0);
  });
}

TEST_CASE("a record reused for a later spawn keeps nothing of its earlier tasklet") {
  run([] {
    std::size_t default_stack = 0;
    Tasklet::spawn([&] { default_stack = Tasklet::current().stack_size(); }).join();
    weft::detail::TaskletRecord* first = nullptr;
    {
      weft::SpawnOptions o;
      o.daemon = true;
      o.stack_size = 4 * default_stack;
      o.max_mailbox_len = 3;
      auto t = Tasklet::spawn([] {
        weft::DeadlineScope scope(0.002);
        Tasklet::sleep(0.001);
        return Tasklet::current().stack_size();
      }, o);
      first = t.record();
      CHECK(t.join() >= 4 * default_stack);
    }
    // That scope's deadline passes, without the loop idling (which frees spare records).
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(5);
    while (std::chrono::steady_clock::now() < until) {
    }
    // Same size class, freed last: the next spawn of that class gets it back.
    auto t = Tasklet::spawn([] {
      Tasklet::sleep(0.001);  // parks with no deadline scope: an old one would bound it
      return Tasklet::current().stack_size();
    });
    REQUIRE(t.record() == first);
    CHECK(!t.daemon());
    CHECK(t.parent() == Tasklet::current());
    CHECK(!t.has_finished());
    CHECK(t.join() == default_stack);
    CHECK(!t.failed());
  });
}

TEST_CASE("a record named after its tasklet finished is not reused with that name") {
  run([] {
    weft::detail::TaskletRecord* first = nullptr;
    std::string first_name;
    {
      auto t = Tasklet::spawn([] { return 1; });
      CHECK(t.join() == 1);
      first = t.record();
      first_name = t.name();  // derived now, after the end: the record holds a name
    }
    // Same size class: a spare of that class would be this record.
    auto t = Tasklet::spawn([] { return 2; });
    CHECK(t.name() == "tasklet-" + std::to_string(t.id()));
    if (t.record() == first) CHECK(t.name() != first_name);
    CHECK(t.join() == 2);
  });
}

TEST_CASE("a burst's record chunks are given back when the loop is idle") {
  run([] {
    {
      std::vector<TaskletOf<void>> ts;
      for (int i = 0; i < 100000; ++i) ts.push_back(Tasklet::spawn([] {}));
      for (auto& t : ts) t.join();
    }
    const std::size_t burst = weft::loop_stats().record_bytes;
    CHECK(burst > (std::size_t{16} << 20));  // 100,000 records of a few hundred bytes
    Tasklet::sleep(0.01);  // the loop idles: the empty chunks go, but a few MiB
    CHECK(weft::loop_stats().record_bytes <= (std::size_t{8} << 20));
    // The pool still serves after trimming.
    CHECK(Tasklet::spawn([] { return 7; }).join() == 7);
  });
}

TEST_CASE("a handle kept past dispatch frees its record after the pool is gone") {
  TaskletOf<std::uint64_t> kept;
  std::vector<TaskletOf<void>> many;
  run([&] {
    kept = Tasklet::spawn([] { return std::uint64_t{42}; });
    for (int i = 0; i < 300; ++i) many.push_back(Tasklet::spawn([] {}));
    kept.join();
    for (auto& t : many) t.join();
  });
  CHECK(kept.record() != nullptr);
  many.clear();  // freed into an orphaned chunk that still holds `kept`
  kept = {};     // the chunk's last record: the chunk is unmapped (ASan sees misuse)
}

TEST_CASE("blocks of every size class and bigger ones are aligned, distinct and reused") {
  weft::detail::RecordPool pool;
  std::vector<void*> blocks;
  for (std::size_t size = 1; size <= weft::detail::RecordPool::kMaxBlock + 64; size += 24) {
    void* p = pool.allocate(size);
    // On a cache line: a record's first line is all one wake-up reads of it.
    CHECK(reinterpret_cast<std::uintptr_t>(p) % 64 == 0);
    std::memset(p, 0xab, size);
    blocks.push_back(p);
  }
  CHECK(pool.live() > 0);
  for (void* p : blocks) weft::detail::RecordPool::deallocate(p);
  CHECK(pool.live() == 0);
  void* a = pool.allocate(300);
  weft::detail::RecordPool::deallocate(a);
  CHECK(pool.allocate(300) == a);  // LIFO: the warm block again
  weft::detail::RecordPool::deallocate(a);
  CHECK(!pool.trim(0, 1000));
  CHECK(pool.mapped_bytes() == 0);
  void* u = weft::detail::RecordPool::allocate_unpooled(100);
  CHECK(reinterpret_cast<std::uintptr_t>(u) % 64 == 0);
  weft::detail::RecordPool::deallocate(u);
}

TEST_CASE("tasklet records start on a cache line") {
  run([] {
    std::vector<TaskletOf<int>> ts;
    for (int i = 0; i < 64; ++i) {
      ts.push_back(Tasklet::spawn([i] { return i; }));
      ts.push_back(Tasklet::spawn([i, pad = std::array<char, 40>{}] { return i + pad[0]; }));
    }
    for (auto& t : ts) CHECK(reinterpret_cast<std::uintptr_t>(t.record()) % 64 == 0);
    for (auto& t : ts) t.join();
  });
}

}
