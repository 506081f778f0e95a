#include <atomic>
#include <thread>
#include <vector>

#include "sched/loop.hpp"
#include "sched/wait_list.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::LoopRef;
using weft::Tasklet;
using weft_test::run;

TEST_SUITE("sched") {

TEST_CASE("LoopRef::post runs functions on the loop, in order, from other threads") {
  run([] {
    LoopRef loop = weft::this_loop();
    CHECK(loop.alive());
    std::vector<int> got;
    weft::WaitList done;
    const auto loop_thread = std::this_thread::get_id();
    bool on_loop_thread = true;
    std::thread poster([&] {
      for (int i = 0; i < 1000; ++i) {
        CHECK(loop.post([&, i] {
          got.push_back(i);
          on_loop_thread = on_loop_thread && std::this_thread::get_id() == loop_thread;
          if (i == 999) done.notify_all();
        }));
      }
    });
    auto d = weft::Deadline::from(5.0);
    while (got.size() < 1000) weft::check_wake(done.wait(d), d, "posts");
    poster.join();
    CHECK(on_loop_thread);
    for (int i = 0; i < 1000; ++i) CHECK(got[static_cast<std::size_t>(i)] == i);
  });
}

TEST_CASE("a posted function may spawn tasklets; its exceptions are logged") {
  weft_test::LogCapture log;
  weft_test::run_logged(log, [] {
    bool ran = false;
    LoopRef loop = weft::this_loop();
    std::thread([&] {
      loop.post([&] { Tasklet::spawn([&] { ran = true; }); });
      loop.post([] { throw std::runtime_error("posted boom"); });
    }).join();
    for (int i = 0; i < 100 && !ran; ++i) Tasklet::sleep(0.01);
    CHECK(ran);
  });
  CHECK(log.count("posted boom") == 1);
}

TEST_CASE("posting to a loop that has ended returns false") {
  LoopRef ref;
  CHECK_FALSE(ref.post([] {}));
  CHECK_FALSE(ref.alive());
  run([&] { ref = weft::this_loop(); });
  CHECK_FALSE(ref.alive());
  CHECK_FALSE(ref.post([] {}));
  CHECK_THROWS_AS(weft::this_loop(), std::logic_error);
  CHECK_THROWS_AS(weft::quit(0), std::logic_error);
}

TEST_CASE("a loop blocked waiting is woken by a post from another thread") {
  run([] {
    LoopRef loop = weft::this_loop();
    weft::WaitList w;
    std::thread t([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      loop.post([&] { w.notify_all(); });
    });
    auto start = weft::now();
    auto d = weft::Deadline::from(5.0);
    weft::check_wake(w.wait(d), d, "post wake-up");
    CHECK(weft_test::since(start) < 1.0);
    t.join();
  });
}

TEST_CASE("loops on several threads run independently") {
  std::atomic<int> total{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      weft::dispatch([&] {
        std::vector<Tasklet> ts;
        for (int j = 0; j < 100; ++j) ts.push_back(Tasklet::spawn([&] {
          Tasklet::yield_();
          total.fetch_add(1);
        }));
        Tasklet::join_all(ts);
      });
    });
  }
  for (auto& t : threads) t.join();
  CHECK(total.load() == 400);
}

}
