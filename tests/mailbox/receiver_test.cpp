// receiver(f): a tasklet that calls f on every message; f's exceptions are
// logged and it goes on; kill ends it.

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "mailbox/mailbox.hpp"
#include "sched/loop.hpp"
#include "tests/support/weft_test.hpp"

using weft::Message;
using weft::Tasklet;
using weft_test::run;

namespace {

struct Accountant {
  int* total;
  void operator()(Message& m) const { *total += m.as<int>(); }
};

}  // namespace

TEST_SUITE("mailbox") {

TEST_CASE("receiver calls f on each message, in order") {
  run([] {
    std::vector<int> seen;
    auto r = weft::receiver([&](Message& m) { seen.push_back(m.as<int>()); });
    for (int i = 0; i < 3; ++i) weft::send(r, i);
    Tasklet::yield_();
    CHECK(seen == std::vector<int>{0, 1, 2});
    r.kill();
    CHECK(r.has_finished());
  });
}

TEST_CASE("receiver logs an exception from f with its name and goes on; a caller gets it") {
  weft_test::LogCapture log;
  weft_test::run_logged(log, [] {
    int handled = 0;
    auto r = weft::receiver(
        [&](Message& m) {
          ++handled;
          if (m.as<int>() < 0) throw std::runtime_error("negative amount");
          if (m.is_call()) m.reply(m.as<int>());
        },
        {.name = "bank"});
    weft::send(r, -1);
    CHECK_THROWS_WITH_AS(weft::call<int>(r, -2), "negative amount", std::runtime_error);
    CHECK(weft::call<int>(r, 3) == 3);  // still serving
    CHECK(handled == 3);
    r.kill();
  });
  CHECK(log.count("negative amount") == 2);
  CHECK(log.count("receiver 'bank'") == 2);
}

TEST_CASE("receiver takes f by value, named after its type; f may take the Message by value") {
  run([] {
    int total = 0;
    auto r = weft::receiver(Accountant{&total});
    CHECK(r.name() == "Accountant");
    weft::send(r, 2);
    weft::send(r, 3);
    std::vector<std::string> kept;
    auto k = weft::receiver([&](Message m) { kept.push_back(m.as<std::string>()); });
    weft::send(k, std::string("a"));
    Tasklet::yield_();
    CHECK(total == 5);
    CHECK(kept == std::vector<std::string>{"a"});
    r.kill();
    k.kill();
  });
}

TEST_CASE("a receiver ends on TaskletExit from f") {
  run([] {
    auto r = weft::receiver([](Message&) { throw weft::TaskletExit{}; });
    weft::send(r, 1);
    CHECK_THROWS_AS(Tasklet::join(r), weft::JoinError);
    CHECK(r.has_finished());
  });
}


TEST_CASE("an idle receiver holds no stack; a handler that parks keeps its stack until it returns") {
  run([] {
    const std::size_t base = weft::loop_stats().live_stacks;  // this test's own tasklet
    int total = 0;
    std::vector<Tasklet> rs;
    for (int i = 0; i < 100; ++i) rs.push_back(weft::receiver(Accountant{&total}));
    Tasklet::yield_();  // each ran once and rests, waiting for a message
    CHECK(weft::loop_stats().live_stacks == base);
    CHECK(weft::loop_stats().live_tasklets == 101);
    for (int round = 0; round < 3; ++round) {
      for (auto& r : rs) weft::send(r, 1);
      Tasklet::yield_();
      CHECK(weft::loop_stats().live_stacks == base);
    }
    CHECK(total == 300);
    for (auto& r : rs) r.kill();
  });
}

TEST_CASE("a resting receiver answers calls again and again, parks inside its handler, and ends on kill") {
  run([] {
    const std::size_t base = weft::loop_stats().live_stacks;
    std::size_t stacks_in_handler = 0;
    auto r = weft::receiver([&](Message& m) {
      const int n = m.as<int>();
      if (n < 0) {  // parks inside the handler: the stack stays while it sleeps
        Tasklet::sleep(0.02);
        stacks_in_handler = weft::loop_stats().live_stacks;
      }
      m.reply(n * 2);
    }, {.name = "doubler"});
    for (int i = 0; i < 5; ++i) CHECK(weft::call<int>(r, i) == 2 * i);
    CHECK(weft::call<int>(r, -1) == -2);
    CHECK(stacks_in_handler == base + 1);
    Tasklet::yield_();
    CHECK(weft::loop_stats().live_stacks == base);
    CHECK(r.name() == "doubler");
    CHECK(r.parent() == Tasklet::current());
    weft::send(r, 7);  // queued, not yet handled: the kill drops it
    r.kill();
    CHECK(r.has_finished());
    CHECK_THROWS_AS(Tasklet::join(r), weft::JoinError);
    CHECK_THROWS_AS(weft::call<int>(r, 1), weft::CallError);
  });
}

TEST_CASE("a woken receiver killed before it runs destroys the messages queued for it") {
  run([] {
    auto r = weft::receiver([](Message&) {});
    Tasklet::yield_();  // resting
    auto payload = std::make_shared<int>(1);
    weft::send(r, payload);
    weft::send(r, payload);  // r is queued to run again, on a new stack
    CHECK(payload.use_count() == 3);
    r.kill();  // before it ran: it ends as a tasklet that never started
    CHECK(r.has_finished());
    CHECK(payload.use_count() == 1);
    CHECK(weft::loop_stats().live_tasklets == 1);
  });
}

}  // TEST_SUITE
