#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Tasklet;
using weft_test::run;

TEST_SUITE("tasklet") {

TEST_CASE("spawn runs the callable after the spawner yields, join returns its result") {
  run([] {
    std::vector<int> order;
    auto t = Tasklet::spawn([&] {
      order.push_back(2);
      return 42;
    });
    order.push_back(1);
    CHECK_FALSE(t.has_finished());
    CHECK(t.join() == 42);
    order.push_back(3);
    CHECK(order == std::vector<int>{1, 2, 3});
    CHECK(t.has_finished());
  });
}

}
