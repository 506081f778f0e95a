// dispatch_loops, loop_index / loop_count / loop_at, spawn_on and LoopTasklet.

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "sched/errors.hpp"
#include "sched/extension.hpp"
#include "tasklet/spawn_on.hpp"
#include "tests/support/weft_test.hpp"

using namespace std::chrono_literals;
using weft_test::contains;

namespace {

// dispatch_loops with the leak check of weft_test::run over every loop (the stats are their sum).
template <class F>
int run_loops(std::size_t n, F&& body, weft::DispatchOptions options = {}) {
  std::exception_ptr error;
  weft::LoopStats stats;
  options.main_error = &error;
  options.stats_at_exit = &stats;
  int code = weft::dispatch_loops(n, std::forward<F>(body), options);
  weft_test::check_clean(stats);
  CHECK_MESSAGE(stats.live_records == 0, "leaked records: " << stats.live_records);
  if (error) std::rethrow_exception(error);
  return code;
}

// Counts, in its destructor, a main that has unwound (killed at quit or signal).
struct CountUnwind {
  std::atomic<int>& n;
  ~CountUnwind() { ++n; }
};

// A skynet tree of `leaves` leaves (10 children per node, depth first by join).
long long skynet(long long num, long long size) {
  if (size == 1) return num;
  std::vector<weft::TaskletOf<long long>> kids;
  kids.reserve(10);
  for (long long i = 0; i < 10; ++i) {
    const long long sub = num + i * (size / 10);
    kids.push_back(weft::Tasklet::spawn([sub, size] { return skynet(sub, size / 10); }));
  }
  long long sum = 0;
  for (auto& k : kids) sum += k.join();
  return sum;
}

}  // namespace

TEST_SUITE("loops") {

TEST_CASE("dispatch_loops runs main(index) on each loop, each on its own thread") {
  std::mutex mu;
  std::set<std::size_t> indices;
  std::set<std::thread::id> threads;
  std::atomic<int> counts{0};
  const int code = run_loops(3, [&](std::size_t i) {
    CHECK(weft::loop_index() == i);
    CHECK(weft::loop_count() == 3);
    CHECK(weft::loop_at(i) == weft::this_loop());
    CHECK(weft::loop_at(i).index() == i);
    CHECK(weft::Tasklet::current().name() == "main");
    std::lock_guard<std::mutex> lock(mu);
    indices.insert(i);
    threads.insert(std::this_thread::get_id());
    ++counts;
  });
  CHECK(code == 0);
  CHECK(counts == 3);
  CHECK(indices == std::set<std::size_t>{0, 1, 2});
  CHECK(threads.size() == 3);
  CHECK(threads.count(std::this_thread::get_id()) == 1);  // loop 0 on the caller's thread
}

TEST_CASE("dispatch_loops(0) runs one loop per CPU; a main may take no index") {
  std::atomic<int> ran{0};
  CHECK(run_loops(0, [&] { ++ran; }) == 0);
  CHECK(ran == static_cast<int>(weft::detail::cpu_count()));
}

TEST_CASE("loop_at out of range and loop_index under dispatch") {
  weft_test::run([] {
    CHECK(weft::loop_index() == 0);
    CHECK(weft::loop_count() == 1);
    CHECK(weft::loop_at(0) == weft::this_loop());
    CHECK_THROWS_AS(weft::loop_at(1), std::out_of_range);
  });
  run_loops(2, [](std::size_t) { CHECK_THROWS_AS(weft::loop_at(2), std::out_of_range); });
  CHECK_THROWS_AS(weft::loop_index(), std::logic_error);
}

TEST_CASE("exit code: a main's int, the first non-zero in loop order; an exception names its loop") {
  CHECK(run_loops(2, [](std::size_t i) { return i == 1 ? 3 : 0; }) == 3);
  CHECK(run_loops(3, [](std::size_t i) { return static_cast<int>(i) + 4; }) == 4);
  weft_test::LogCapture log;
  weft::DispatchOptions o;
  o.log = log.handler();
  const int code = weft::dispatch_loops(2, [](std::size_t i) {
    if (i == 1) throw std::runtime_error("boom");
  }, o);
  CHECK(code == 1);
  CHECK(log.count("the main tasklet of loop 1 failed: std::runtime_error: boom") == 1);
}

TEST_CASE("quit() on one loop ends every loop with its code, unwinding what still runs") {
  std::atomic<int> unwound{0};
  const auto start = std::chrono::steady_clock::now();
  const int code = run_loops(2, [&](std::size_t i) {
    CountUnwind u{unwound};
    if (i == 1) {
      weft::Tasklet::sleep(0.02);
      weft::quit(7);
    }
    weft::Tasklet::sleep(weft::never);
  });
  CHECK(code == 7);
  CHECK(unwound == 2);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("a loop whose own work is done stays alive while another may still hand it work") {
  const int code = run_loops(2, [](std::size_t i) {
    if (i != 0) return 0;  // loop 1 has nothing of its own
    weft::Tasklet::sleep(0.05);
    auto t = weft::spawn_on(weft::loop_at(1), [] {
      weft::Tasklet::sleep(0.01);
      return static_cast<int>(weft::loop_index()) * 100;
    });
    CHECK(t.join(2.0) == 100);
    return 0;
  });
  CHECK(code == 0);
}

TEST_CASE("work posted to an idle loop keeps the group alive until it is done") {
  // Loop 0 hands loop 1 a job and ends its own work at once; the job, on a
  // loop that was idle, must still run to its end.
  std::atomic<bool> done{false};
  run_loops(2, [&](std::size_t i) {
    if (i != 0) return;
    weft::Tasklet::sleep(0.02);  // loop 1 is idle by now
    (void)weft::spawn_on(weft::loop_at(1), [&] {
      weft::Tasklet::sleep(0.1);
      done = true;
    });
  });
  CHECK(done);
}

TEST_CASE("spawn_on: result, failure, kill, timeout") {
  run_loops(2, [](std::size_t i) {
    if (i != 0) return;
    weft::LoopRef other = weft::loop_at(1);

    auto ok = weft::spawn_on(other, [] { return std::string("from loop ") + std::to_string(weft::loop_index()); });
    CHECK(ok.join(2.0) == "from loop 1");
    CHECK(ok.has_finished());
    CHECK(ok.join() == "from loop 1");  // joined again: copied
    CHECK(ok.loop() == other);

    weft::SpawnOptions named;
    named.name = "cruncher";
    auto bad = weft::spawn_on(other, []() -> int { throw std::runtime_error("no"); }, named);
    try {
      bad.join(2.0);
      FAIL("no JoinError");
    } catch (const weft::JoinError& e) {
      CHECK(contains(e.what(), "tasklet 'cruncher' on loop 1 failed: std::runtime_error: no"));
      CHECK_FALSE(e.killed());
      CHECK_FALSE(e.tasklet());
    }

    auto slow = weft::spawn_on(other, [] {
      weft::Tasklet::sleep(0.3);
      return 1;
    });
    CHECK_THROWS_AS(slow.join(0.02), weft::TimeoutError);
    const weft::Deadline passed = weft::Deadline::from(0.0);
    CHECK_THROWS_AS(slow.join(passed), weft::TimeoutError);  // one deadline for many joins
    CHECK(slow.join(2.0) == 1);  // it kept running
    CHECK(slow.join(passed) == 1);  // finished: a passed deadline does not matter

    auto killed = weft::spawn_on(other, [] {
      weft::Tasklet::current().kill();
      return 0;
    });
    try {
      killed.join(2.0);
      FAIL("no JoinError");
    } catch (const weft::JoinError& e) {
      CHECK(e.killed());
    }

    auto move_only = weft::spawn_on(other, [] { return std::make_unique<int>(5); });
    CHECK(*move_only.join(2.0) == 5);
    CHECK_THROWS_AS(move_only.join(), std::logic_error);

    weft::SpawnOptions huge;  // no stack of 4 PiB: spawning itself fails there
    huge.stack_size = std::size_t{1} << 52;
    auto unspawnable = weft::spawn_on(other, [] { return 1; }, huge);
    try {
      unspawnable.join(2.0);
      FAIL("no JoinError");
    } catch (const weft::JoinError& e) {
      CHECK_FALSE(e.killed());
      CHECK_THROWS_AS(e.rethrow_cause(), std::bad_alloc);
    }

    CHECK_THROWS_AS(weft::spawn_on(weft::LoopRef(), [] {}), std::logic_error);
    CHECK_THROWS_AS(weft::LoopTasklet<int>().join(), std::logic_error);
  });
}

TEST_CASE("spawn_on to a loop that has ended: LoopEnded, and f is destroyed") {
  weft::LoopRef gone;
  std::thread([&] { weft::dispatch([&] { gone = weft::this_loop(); }); }).join();
  weft_test::Counted::live = 0;
  weft_test::run([&] {
    auto t = weft::spawn_on(gone, [c = weft_test::Counted(1)] { return c.value; });
    CHECK(t.has_finished());
    try {
      t.join(1.0);
      FAIL("no JoinError");
    } catch (const weft::JoinError& e) {
      CHECK(contains(e.what(), "loop 0 has ended"));
      CHECK_THROWS_AS(e.rethrow_cause(), weft::LoopEnded);
    }
  });
  CHECK(weft_test::Counted::live == 0);
}

TEST_CASE("a spawn_on tasklet killed at its loop's quit: the joiner on another loop hears so") {
  run_loops(2, [](std::size_t i) {
    if (i != 0) return;
    auto t = weft::spawn_on(weft::loop_at(1), [] { weft::Tasklet::sleep(weft::never); });
    weft::Tasklet::sleep(0.02);
    (void)weft::loop_at(1).post([] { weft::quit(5); });  // loop 1 quits: so does the group
    try {
      t.join(2.0);
      FAIL("no error");
    } catch (const weft::JoinError& e) {
      CHECK(e.killed());
    } catch (const weft::TaskletExit&) {
      // this loop was told to quit first: also right
      throw;
    }
  });
}

TEST_CASE("skynet with 1M leaves on each of 2 loops") {
  // ThreadSanitizer makes each fiber's creation cost a fiber of its own: a
  // smaller tree there (the cross-thread part is the same).
#if defined(__SANITIZE_THREAD__)
  constexpr long long kLeaves = 10'000;
#else
  constexpr long long kLeaves = 1'000'000;
#endif
  std::atomic<long long> sums[2] = {0, 0};
  const int code = run_loops(2, [&](std::size_t i) { sums[i] = skynet(0, kLeaves); });
  CHECK(code == 0);
  CHECK(sums[0] == kLeaves * (kLeaves - 1) / 2);
  CHECK(sums[1] == kLeaves * (kLeaves - 1) / 2);
}

TEST_CASE("SIGTERM with two loops busy ends both with 143") {
  std::atomic<int> unwound{0};
  const int code = run_loops(2, [&](std::size_t i) {
    CountUnwind u{unwound};
    if (i == 1) {
      std::thread([] {
        std::this_thread::sleep_for(50ms);
        ::kill(::getpid(), SIGTERM);
      }).detach();
    }
    for (;;) weft::Tasklet::yield_();  // busy: never parks
  });
  CHECK(code == 143);
  CHECK(unwound == 2);
}

}  // TEST_SUITE
