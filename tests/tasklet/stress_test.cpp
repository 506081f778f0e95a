#include <random>
#include <vector>

#include "sched/wait_list.hpp"
#include "tasklet/task_group.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Deadline;
using weft::Tasklet;
using weft_test::run;

namespace {

// Shared playground of the stress test: tasklets pick random operations.
struct World {
  std::mt19937 rng;
  std::vector<Tasklet> tasklets;
  weft::WaitList lists[4];
  int notified = 0;
  int kills = 0;
  int timeouts = 0;
  int joins = 0;

  explicit World(unsigned seed) : rng(seed) {}
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }
  Tasklet random_tasklet() {
    if (tasklets.empty()) return {};
    return tasklets[static_cast<std::size_t>(pick(static_cast<int>(tasklets.size())))];
  }
};

void act(World& w, int depth) {
  for (int step = 0; step < 40; ++step) {
    try {
      switch (w.pick(9)) {
        case 0:
          Tasklet::sleep(0.0001 * w.pick(5));
          break;
        case 1:
          Tasklet::yield_();
          break;
        case 2: {
          auto d = Deadline::from(0.0005 * w.pick(4));
          weft::check_wake(w.lists[w.pick(4)].wait(d), d, "stress wait");
          break;
        }
        case 3:
          w.lists[w.pick(4)].notify_one();
          ++w.notified;
          break;
        case 4:
          w.lists[w.pick(4)].notify_all();
          break;
        case 5:
          if (Tasklet t = w.random_tasklet(); t && !(t == Tasklet::current())) {
            t.kill();
            ++w.kills;
          }
          break;
        case 6:
          if (Tasklet t = w.random_tasklet(); t && !(t == Tasklet::current())) {
            try {
              Tasklet::join(t, 0.001);
              ++w.joins;
            } catch (const weft::JoinError&) {
              ++w.joins;
            }
          }
          break;
        case 7:
          if (depth < 3) {
            w.tasklets.push_back(Tasklet::spawn([&w, depth] { act(w, depth + 1); }));
          }
          break;
        case 8:
          if (depth < 2) {
            weft::TaskGroup g;
            for (int i = 0; i < 2; ++i) g.spawn([&w, depth] { act(w, depth + 2); });
            g.join(0.005);
          }
          break;
      }
    } catch (const weft::TimeoutError&) {
      ++w.timeouts;
    } catch (const weft::JoinError&) {
    } catch (const std::logic_error&) {  // e.g. joining a tasklet that is joining us
    }
  }
}

}  // namespace

TEST_SUITE("tasklet") {

TEST_CASE("stress: random sleeps, yields, waits, notifies, kills, joins, spawns and groups") {
  for (unsigned seed = 1; seed <= 60; ++seed) {
    CAPTURE(seed);
    World w(seed);
    run([&] {
      for (int i = 0; i < 30; ++i) w.tasklets.push_back(Tasklet::spawn([&w] { act(w, 0); }));
      act(w, 0);
      for (auto& l : w.lists) l.notify_all();
      for (const Tasklet& t : std::vector<Tasklet>(w.tasklets)) {
        if (!(t == Tasklet::current())) t.kill();
      }
      for (auto& l : w.lists) CHECK(l.empty());
    });
    CHECK(w.kills + w.joins + w.timeouts + w.notified > 0);
  }
}

}
