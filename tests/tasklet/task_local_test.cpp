// TaskLocal: values per tasklet, optionally inherited from the parent.

#include <stdexcept>
#include <string>

#include "tasklet/task_local.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::TaskLocal;
using weft::Tasklet;
using weft_test::Counted;
using weft_test::run;

TEST_SUITE("tasklet") {

TEST_CASE("TaskLocal: each tasklet sees its own value") {
  run([] {
    TaskLocal<std::string> name;
    CHECK_FALSE(name.inherits());
    CHECK_FALSE(name.has_value());
    CHECK(name.get() == nullptr);
    CHECK_THROWS_AS(name.value(), std::logic_error);
    name.set("main");
    auto child = Tasklet::spawn([&] {
      CHECK(name.get() == nullptr);  // not inherited
      name.set("child");
      Tasklet::yield_();
      return name.value();
    });
    Tasklet::yield_();
    CHECK(name.value() == "main");
    CHECK(child.join() == "child");
    CHECK(*name.get() == "main");
    CHECK(name.reset());
    CHECK_FALSE(name.reset());
    CHECK_FALSE(name.has_value());
  });
}

TEST_CASE("TaskLocal(inherit): a tasklet without its own value sees its nearest ancestor's") {
  run([] {
    TaskLocal<int> depth(true);
    CHECK(depth.inherits());
    depth.set(1);
    auto child = Tasklet::spawn([&] {
      auto grandchild = Tasklet::spawn([&] { return depth.value(); });
      int seen = grandchild.join();
      depth.set(2);  // the child's own; main's stays
      auto grandchild2 = Tasklet::spawn([&] { return depth.value(); });
      return seen * 10 + grandchild2.join();
    });
    CHECK(child.join() == 12);
    CHECK(depth.value() == 1);
    auto other = Tasklet::spawn([&] {
      depth.value() = 5;  // the very object of the parent
      CHECK_FALSE(depth.reset());  // reset removes only a tasklet's own value
    });
    other.join();
    CHECK(depth.value() == 5);
  });
}

TEST_CASE("TaskLocal: values are destroyed when their tasklet finishes, or on set/reset") {
  run([] {
    TaskLocal<Counted> local;
    auto t = Tasklet::spawn([&] {
      local.emplace(1);
      CHECK(Counted::live == 1);
      local.set(Counted(2));  // replaces
      CHECK(Counted::live == 1);
      CHECK(local.value().value == 2);
    });
    t.join();
    CHECK(Counted::live == 0);
    {
      TaskLocal<Counted> gone;
      gone.emplace(3);
    }
    CHECK(Counted::live == 1);  // kept by main until it finishes, unreachable
    local.emplace(4);           // a new entry drops the values of dead TaskLocals
    CHECK(Counted::live == 1);
  });
  CHECK(Counted::live == 0);
}

TEST_CASE("TaskLocal needs a tasklet") {
  TaskLocal<int> local;
  CHECK_THROWS_AS(local.get(), weft::NotInTasklet);
  CHECK_THROWS_AS(local.set(1), weft::NotInTasklet);
}

}  // TEST_SUITE
