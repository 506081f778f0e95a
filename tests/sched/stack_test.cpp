#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "sched/detail/loop.hpp"
#include "sched/detail/stack_pool.hpp"
#include "sched/extension.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Tasklet;
using weft_test::run;

namespace {

// Recurses until the stack runs out; `yield_every` > 0 yields on the way down
// (so that a canary stack is checked at each switch). Endless on purpose.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
int dive(int depth, int yield_every) {
  volatile char frame[512];
  std::memset(const_cast<char*>(frame), depth & 0x7f, sizeof frame);
  if (yield_every > 0 && depth % yield_every == 0) Tasklet::yield_();
  return dive(depth + 1, yield_every) + frame[depth % sizeof frame];
}
#pragma GCC diagnostic pop

struct ChildResult {
  int status = 0;
  std::string stderr_text;
};

// Runs body in a forked child with stderr captured.
template <class F>
ChildResult in_child(F body) {
  int pipefd[2];
  REQUIRE(::pipe(pipefd) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(pipefd[1], STDERR_FILENO);
    ::close(pipefd[0]);
    body();
    ::_exit(0);
  }
  ::close(pipefd[1]);
  ChildResult r;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) r.stderr_text.append(buf, static_cast<std::size_t>(n));
  ::close(pipefd[0]);
  ::waitpid(pid, &r.status, 0);
  return r;
}

void overflow_in_loop(bool guarded, int yield_every) {
  weft::dispatch([=] {
    if (!guarded) weft::detail::current_loop()->stacks().set_guard_budget(0);
    auto t = Tasklet::spawn([=] { return dive(0, yield_every); }, {.name = "deep-diver"});
    t.join();
  });
}

}  // namespace

TEST_SUITE("sched") {

TEST_CASE("a tasklet gets its stack at its first run and stacks are reused LIFO") {
  run([] {
    auto t = Tasklet::spawn([] {});
    CHECK(t.stack_size() == 0);
    CHECK(weft::loop_stats().live_stacks == 1);  // main's only
    t.join();
    auto stats = weft::loop_stats();
    std::size_t made = stats.live_stacks + stats.pooled_stacks;
    for (int i = 0; i < 1000; ++i) Tasklet::spawn([] { Tasklet::yield_(); }).join();
    stats = weft::loop_stats();
    CHECK(stats.live_stacks + stats.pooled_stacks == made);  // nothing new was mapped
  });
}

TEST_CASE("stacks beyond the guard budget are unguarded canary stacks and work the same") {
  run([] {
    auto& pool = weft::detail::current_loop()->stacks();
    pool.set_guard_budget(pool.guarded());
    std::vector<weft::TaskletOf<int>> ts;
    for (int i = 0; i < 200; ++i) {
      ts.push_back(Tasklet::spawn([i] {
        Tasklet::sleep(0.01);
        return i;
      }));
    }
    auto rs = Tasklet::join_all(ts);
    for (int i = 0; i < 200; ++i) CHECK(rs[i].value() == i);
    CHECK(weft::loop_stats().guarded_stacks == pool.guard_budget());
  });
}

TEST_CASE("the guard budget follows vm.max_map_count") {
  weft::detail::StackPool pool;
  CHECK(pool.guard_budget() > 1000);
  CHECK(pool.default_size() == weft::detail::StackPool::builtin_default_size());
  auto s = pool.acquire();
  CHECK(s.guarded);
  CHECK(s.size == pool.default_size());
  pool.release(s);
  auto again = pool.acquire();
  CHECK(again.base == s.base);  // LIFO
  pool.release(again);
}

TEST_CASE("stack overflow on a guarded stack stops the process with a message naming the tasklet") {
  auto r = in_child([] { overflow_in_loop(true, 0); });
  CHECK(WIFSIGNALED(r.status));
  CHECK(WTERMSIG(r.status) == SIGABRT);
  CHECK(r.stderr_text.find("stack overflow in tasklet 'deep-diver'") != std::string::npos);
}

TEST_CASE("stack overflow on a canary stack is caught at the next switch") {
  auto r = in_child([] { overflow_in_loop(false, 4); });
  CHECK(WIFSIGNALED(r.status));
  CHECK(WTERMSIG(r.status) == SIGABRT);
  CHECK(r.stderr_text.find("stack overflow in tasklet 'deep-diver'") != std::string::npos);
}

TEST_CASE("stack overflow on a canary stack without switches is caught by the fault handler") {
  auto r = in_child([] { overflow_in_loop(false, 0); });
  CHECK(WIFSIGNALED(r.status));
  CHECK(r.stderr_text.find("stack overflow in tasklet 'deep-diver'") != std::string::npos);
}

}
