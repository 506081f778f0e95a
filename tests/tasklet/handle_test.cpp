#include <stdexcept>
#include <string>
#include <utility>

#include "sched/park.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::JoinError;
using weft::Tasklet;
using weft_test::run;

TEST_SUITE("tasklet") {

TEST_CASE("Tasklet handles: empty, copies, moves and comparison refer to tasklets") {
  run([] {
    Tasklet empty;
    CHECK_FALSE(empty);
    CHECK(empty == Tasklet());
    CHECK(empty.record() == nullptr);
    CHECK_THROWS_AS(empty.has_finished(), std::logic_error);
    CHECK_THROWS_AS(empty.kill(), std::logic_error);

    auto t = Tasklet::spawn([] { return 5; });
    Tasklet copy = t;
    CHECK(copy == t);
    Tasklet moved = std::move(copy);
    CHECK_FALSE(copy);  // NOLINT: moved-from handles are empty
    CHECK(moved == t);
    Tasklet assigned;
    assigned = moved;
    CHECK(assigned == t);
    assigned = std::move(moved);
    CHECK(assigned == t);
    assigned = assigned;  // self-assignment keeps the reference
    CHECK(assigned == t);
    CHECK_FALSE(assigned == Tasklet::current());
    CHECK(Tasklet::from_record(t.record()) == t);
    CHECK(t.join() == 5);
  });
}

TEST_CASE("a tasklet's result outlives the loop as long as a handle does") {
  Tasklet kept;
  run([&] {
    Tasklet::spawn([&] { kept = Tasklet::current(); }).join();
  });
  CHECK(kept.has_finished());
  CHECK_FALSE(kept.failed());
  CHECK(kept.error() == nullptr);
}

TEST_CASE("JoinError copies share the tasklet and the cause") {
  run([] {
    auto t = Tasklet::spawn([]() -> int { throw std::runtime_error("cause"); });
    try {
      t.join();
    } catch (const JoinError& e) {
      JoinError copy = e;
      CHECK(copy.tasklet() == t);
      CHECK(copy.cause() == e.cause());
      CHECK(std::string(copy.what()) == e.what());
      JoinError assigned = copy;
      assigned = e;
      CHECK(assigned.tasklet() == t);
      CHECK_THROWS_WITH_AS(std::rethrow_exception(assigned.cause()), "cause", std::runtime_error);
    }
  });
}

TEST_CASE("Outcome<void>: ok, value and error") {
  run([] {
    std::vector<weft::TaskletOf<void>> ts{Tasklet::spawn([] {}),
                                          Tasklet::spawn([] { throw std::runtime_error("no"); })};
    auto rs = Tasklet::join_all(ts);
    CHECK(rs[0].ok());
    CHECK(static_cast<bool>(rs[0]));
    CHECK_NOTHROW(rs[0].value());
    CHECK_THROWS_AS(rs[0].error(), std::logic_error);
    CHECK_FALSE(rs[1].ok());
    CHECK_THROWS_AS(rs[1].value(), JoinError);
    CHECK(rs[1].error().tasklet() == ts[1]);
  });
}

TEST_CASE("Deadline remembers what bound it") {
  run([] {
    auto own = weft::Deadline::from(2.0);
    CHECK_FALSE(own.from_scope());
    CHECK(own.span_ns() == 2'000'000'000);
    weft::DeadlineScope scope(0.5);
    auto scoped = weft::Deadline::from(2.0);
    CHECK(scoped.from_scope());
    CHECK(scoped.span_ns() == 500'000'000);
    CHECK(scoped.ns() < own.ns());
    CHECK(weft::Deadline::from(weft::never).from_scope());
  });
}

TEST_CASE("dispatch without signal handling still runs") {
  CHECK(run([] { return 0; }, {.handle_signals = false}) == 0);
}

}
