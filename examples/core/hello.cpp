// hello: spawn a small tree of tasklets and print it.
#include <cstdio>
#include <string>

#include "sched/wait_list.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/tasklet.hpp"

using weft::Tasklet;

int main() {
  return weft::dispatch([] {
    weft::WaitList done;  // the workers park here until main has printed the tree
    auto worker = [&] { done.wait(weft::Deadline::from(5.0)); };
    for (const char* team : {"fetchers", "parsers"}) {
      Tasklet::spawn([&, team] {
        for (int i = 1; i <= 2; ++i) {
          Tasklet::spawn(worker, {.name = std::string(team) + "-" + std::to_string(i)});
        }
        Tasklet::join_children();
      }, {.name = team});
    }
    while (done.size() < 4) Tasklet::yield_();  // let everybody start

    std::printf("the tasklet tree, as Tasklet::current().tree() walks it:\n");
    for (const auto& [t, level] : Tasklet::current().tree()) {
      std::printf("  %*s%s\n", 2 * level, "", t.name().c_str());
    }
    done.notify_all();
    Tasklet::join_children();
    std::printf("every tasklet finished; dispatch() returns 0\n");
  });
}
