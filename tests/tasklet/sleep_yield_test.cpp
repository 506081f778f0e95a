#include <string>

#include "sched/timer.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Tasklet;
using weft_test::exact;
using weft_test::run;
using weft_test::run_virtual;
using weft_test::since;

TEST_SUITE("tasklet") {

TEST_CASE("sleep(1.0) takes 1.0 s") {
  run_virtual([] {
    auto start = weft::now();
    Tasklet::sleep(1.0);
    CHECK(exact(since(start), 1.0));
    start = weft::now();
    Tasklet::sleep(std::chrono::milliseconds(200));
    CHECK(exact(since(start), 0.2));
  });
}

TEST_CASE("sleeps of different lengths end in deadline order") {
  run_virtual([] {
    std::string order;
    auto a = Tasklet::spawn([&] {
      Tasklet::sleep(0.15);
      order += 'a';
    });
    auto b = Tasklet::spawn([&] {
      Tasklet::sleep(0.05);
      order += 'b';
    });
    auto c = Tasklet::spawn([&] {
      Tasklet::sleep(0.10);
      order += 'c';
    });
    Tasklet::join_all(std::vector<Tasklet>{a, b, c});
    CHECK(order == "bca");
  });
}

TEST_CASE("yield_ runs the other runnable tasklets round-robin; alone it returns at once") {
  run_virtual([] {
    std::string trace;
    auto worker = [&](char c) {
      return [&trace, c] {
        for (int i = 0; i < 3; ++i) {
          trace += c;
          Tasklet::yield_();
        }
      };
    };
    auto a = Tasklet::spawn(worker('a'));
    auto b = Tasklet::spawn(worker('b'));
    auto c = Tasklet::spawn(worker('c'));
    Tasklet::join_all(std::vector<Tasklet>{a, b, c});
    CHECK(trace == "abcabcabc");
    auto start = weft::now();
    for (int i = 0; i < 1000; ++i) Tasklet::yield_();
    CHECK(since(start) < 0.5);
  });
}

TEST_CASE("sleep of zero or a negative time yields") {
  run_virtual([] {
    std::string trace;
    auto other = Tasklet::spawn([&] { trace += 'o'; });
    Tasklet::sleep(0.0);
    trace += 'm';
    Tasklet::sleep(-0.5);
    CHECK(trace == "om");
    other.join();
  });
}

TEST_CASE("calls that may park throw NotInTasklet outside a tasklet") {
  CHECK_THROWS_AS(Tasklet::sleep(0.1), weft::NotInTasklet);
  CHECK_THROWS_AS(Tasklet::yield_(), weft::NotInTasklet);
  CHECK_THROWS_AS(Tasklet::current(), weft::NotInTasklet);
  CHECK_THROWS_AS(Tasklet::spawn([] {}), std::logic_error);
  run_virtual([] {
    bool threw = false;
    weft::Timer t(std::chrono::milliseconds(1), [&] {
      try {
        Tasklet::sleep(0.1);
      } catch (const weft::NotInTasklet& e) {
        threw = std::string(e.what()).find("sleep") != std::string::npos;
      }
    });
    Tasklet::sleep(0.02);
    CHECK(threw);
  });
}

}
