// idle: 1M tasklets sleeping at once: resident memory per sleeping tasklet,
// KiB (RSS growth / count, each implementation in its own child process).
// Peer: Boost.Fiber, 1M fibers in this_fiber::sleep_for on its pooled stack
// allocator with the same 64 KiB reserve (its default allocator maps each
// stack separately and runs out of kernel memory maps long before 1M).
// Target: weft <= 4.5 KiB per sleeping tasklet on a default kernel.
//
// idle_receivers: 1M receivers waiting for a message on an empty mailbox,
// KiB each. A weft receiver rests between messages (no stack: its record and
// mailbox). Peer: Boost.Fiber, 1M fibers each blocked in pop() on its own
// buffered_channel (the closest it has to a mailbox), on the same pooled
// stacks. Target: weft <= 1.0 KiB per idle receiver.

#include <sys/wait.h>
#include <unistd.h>

#include <boost/fiber/all.hpp>
#include <cstdio>
#include <memory>
#include <vector>
#include <fstream>

#include "bench/bench_util.hpp"
#include "mailbox/mailbox.hpp"
#include "sched/loop.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/tasklet.hpp"

namespace {

double rss_kib() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / 1024.0;
}

// Runs measure() in a child process and returns the double it reports.
double in_child(double (*measure)(long), long n) {
  int fds[2];
  if (::pipe(fds) != 0) std::abort();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    double v = measure(n);
    if (::write(fds[1], &v, sizeof v) != sizeof v) ::_exit(1);
    ::_exit(0);  // skip unwinding a million sleepers: the figure is taken
  }
  ::close(fds[1]);
  double v = -1;
  if (::read(fds[0], &v, sizeof v) != sizeof v) v = -1;
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return v;
}

double weft_idle_child(long n) {
  double per = -1;
  weft::dispatch([&] {
    const double before = rss_kib();
    for (long i = 0; i < n; ++i) weft::Tasklet::spawn([] { weft::Tasklet::sleep(600.0); });
    while (weft::loop_stats().pending_timers < static_cast<std::size_t>(n)) weft::Tasklet::sleep(0.01);
    per = (rss_kib() - before) / static_cast<double>(n);
    weft::quit(0);
    double v = per;
    if (::write(STDOUT_FILENO, "", 0) < 0) v = -1;
    per = v;
  });
  return per;
}

double weft_idle(long n) { return in_child(weft_idle_child, n); }

double weft_receivers_child(long n) {
  double per = -1;
  weft::dispatch([&] {
    std::vector<weft::Tasklet> rs;
    rs.reserve(static_cast<std::size_t>(n));
    const double before = rss_kib();
    long handled = 0;
    for (long i = 0; i < n; ++i) rs.push_back(weft::receiver([&handled](weft::Message&) { ++handled; }));
    weft::Tasklet::yield_();  // every receiver runs once, finds its mailbox empty and rests
    if (weft::loop_stats().runnable != 0) std::abort();
    per = (rss_kib() - before) / static_cast<double>(n);
    weft::quit(0);
  });
  return per;
}

double weft_receivers(long n) { return in_child(weft_receivers_child, n); }

double fiber_receivers_child(long n) {
  boost::fibers::pooled_fixedsize_stack alloc(64 * 1024);
  std::vector<std::unique_ptr<boost::fibers::buffered_channel<long>>> boxes;
  boxes.reserve(static_cast<std::size_t>(n));
  const double before = rss_kib();
  long waiting = 0;
  for (long i = 0; i < n; ++i) {
    boxes.push_back(std::make_unique<boost::fibers::buffered_channel<long>>(2));
    boost::fibers::fiber(std::allocator_arg, alloc, [box = boxes.back().get(), &waiting] {
      ++waiting;
      long v = 0;
      while (box->pop(v) == boost::fibers::channel_op_status::success) {
      }
    }).detach();
  }
  while (waiting < n) boost::this_fiber::yield();
  return (rss_kib() - before) / static_cast<double>(n);
}

double fiber_receivers(long n) { return in_child(fiber_receivers_child, n); }

double fiber_idle_child(long n) {
  boost::fibers::pooled_fixedsize_stack alloc(64 * 1024);
  const double before = rss_kib();
  long sleeping = 0;
  for (long i = 0; i < n; ++i) {
    boost::fibers::fiber(std::allocator_arg, alloc, [&sleeping] {
      ++sleeping;
      boost::this_fiber::sleep_for(std::chrono::seconds(600));
    }).detach();
  }
  while (sleeping < n) boost::this_fiber::yield();
  return (rss_kib() - before) / static_cast<double>(n);
}

double fiber_idle(long n) { return in_child(fiber_idle_child, n); }

}  // namespace

int main(int argc, char** argv) {
  auto args = bench::parse(argc, argv);
  if (args.runs > 3) args.runs = 3;  // each run maps a million stacks
  const long n = static_cast<long>(1'000'000 * args.scale);
  auto v = bench::measure(args, {{"weft", weft_idle}, {"boost.fiber", fiber_idle}}, n);
  bench::report(args, "idle", "KiB", "resident memory per sleeping tasklet, 1M at once",
                {"weft", "boost.fiber"}, v, true, "weft <= 4.5 KiB per sleeping tasklet");
  auto r = bench::measure(args, {{"weft", weft_receivers}, {"boost.fiber", fiber_receivers}}, n);
  bench::report(args, "idle_receivers", "KiB", "resident memory per receiver waiting for a message, 1M",
                {"weft", "boost.fiber"}, r, true, "weft <= 1.0 KiB per idle receiver");
}
