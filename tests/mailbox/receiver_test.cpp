// receiver(f): a tasklet that calls f on every message; f's exceptions are
// logged and it goes on; kill ends it.

#include <stdexcept>
#include <string>
#include <vector>

#include "mailbox/mailbox.hpp"
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

}  // TEST_SUITE
