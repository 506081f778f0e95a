// Under ThreadSanitizer every tasklet runs as a TSan fiber of its own
// (sched/detail/context.hpp), so that a report's stacks are one tasklet's.
// Built into every test binary; it checks something only in a TSan build
// (`make tsan`), where without the annotations all three fibers below are
// the thread's one.

#include <set>

#include "sched/detail/context.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

#ifdef WEFT_TSAN
#include <sanitizer/tsan_interface.h>

using weft::Tasklet;

TEST_SUITE("sched") {

TEST_CASE("under ThreadSanitizer each tasklet runs as its own TSan fiber") {
  weft_test::run([] {
    void* const main_fiber = __tsan_get_current_fiber();
    std::set<void*> seen;
    auto body = [&] {
      void* const mine = __tsan_get_current_fiber();
      seen.insert(mine);
      Tasklet::yield_();  // back on the same fiber after a switch
      CHECK(__tsan_get_current_fiber() == mine);
    };
    auto a = Tasklet::spawn(body);
    auto b = Tasklet::spawn(body);
    a.join();
    b.join();
    CHECK(seen.size() == 2);
    CHECK(seen.count(main_fiber) == 0);
    CHECK(__tsan_get_current_fiber() == main_fiber);
  });
}

}  // TEST_SUITE

#endif  // WEFT_TSAN
