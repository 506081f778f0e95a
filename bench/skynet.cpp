// skynet: a tree of N leaves (default 1M; --leaves N, a power of 10): each
// node spawns 10 children and sums their results; leaves return their number,
// so the sum is 0 + 1 + ... + N-1. Figures: the whole run's CPU time in ms
// (median of the runs, peers alternately in the same process) and each
// implementation's peak RSS, from one more run of each in a child process of
// its own (wait4's ru_maxrss), made before the timed runs.
//
// weft: tasklets spawned and joined one by one (the obvious code). A join on a
// tasklet that has not started runs it next, so the tree runs depth first.
//
// Peer: Boost.Fiber written the way its own skynet benchmarks are
// (libs/fiber/performance/fiber/skynet_*.cpp): fibers launched with
// launch::dispatch (the child runs at once: depth first), detached, results
// sent to the parent through a buffered_channel, stacks of four pages from a
// pooled_fixedsize_stack (two pages, as there, overflow with this lambda and
// channel on the node's stack; an unpooled fixedsize_stack ran 5% slower).
// The form this file had before, joined fibers on 64 KiB pooled stacks, ran
// 1.6x slower (4,543 ms against 2,776 ms for 1M leaves here).
//
// Targets: weft <= 1/10 of Boost.Fiber at 1M leaves; 10^7 leaves complete
// with a peak RSS <= 1.5 GiB (`make bench` runs that one for weft alone:
// Boost.Fiber takes about a minute).

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/fiber/all.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/bench_util.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/tasklet.hpp"

namespace {

long weft_node(long num, long size) {
  if (size == 1) return num;
  std::array<weft::TaskletOf<long>, 10> kids;
  const long step = size / 10;
  for (long i = 0; i < 10; ++i) {
    kids[static_cast<std::size_t>(i)] =
        weft::Tasklet::spawn([num, i, step] { return weft_node(num + i * step, step); });
  }
  long sum = 0;
  for (auto& k : kids) sum += k.join();
  return sum;
}

double weft_skynet(long leaves) {
  double ms = 0;
  weft::dispatch([&] {
    bench::CpuTimer t0;
    long sum = weft_node(0, leaves);
    ms = t0.seconds() * 1e3;
    if (sum != leaves * (leaves - 1) / 2) std::abort();
  });
  return ms;
}

using Alloc = boost::fibers::pooled_fixedsize_stack;
using Channel = boost::fibers::buffered_channel<long>;

void fiber_node(Alloc& alloc, Channel& out, long num, long size) {
  if (size == 1) {
    out.push(num);
    return;
  }
  Channel results(16);  // a power of two above the 10 children
  const long step = size / 10;
  for (long i = 0; i < 10; ++i) {
    boost::fibers::fiber(boost::fibers::launch::dispatch, std::allocator_arg, alloc,
                         [&alloc, &results, num, i, step] {
                           fiber_node(alloc, results, num + i * step, step);
                         })
        .detach();
  }
  long sum = 0;
  for (int i = 0; i < 10; ++i) sum += results.value_pop();
  out.push(sum);
}

double fiber_skynet(long leaves) {
  Alloc alloc(4 * Alloc::traits_type::page_size());
  Channel root(2);
  bench::CpuTimer t0;
  fiber_node(alloc, root, 0, leaves);
  const long sum = root.value_pop();
  const double ms = t0.seconds() * 1e3;
  if (sum != leaves * (leaves - 1) / 2) std::abort();
  return ms;
}

// Peak RSS in MiB of a child process that runs `impl` once (NaN if it failed).
double peak_rss_mib(double (*impl)(long), long leaves) {
  std::fflush(stdout);
  const pid_t pid = ::fork();
  if (pid < 0) return std::nan("");
  if (pid == 0) {
    impl(leaves);
    std::_Exit(0);
  }
  int status = 0;
  rusage ru{};
  if (::wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return std::nan("");
  }
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB
}

bool power_of_ten(long n) {
  if (n < 10) return false;
  while (n % 10 == 0) n /= 10;
  return n == 1;
}

}  // namespace

int main(int argc, char** argv) {
  long leaves_flag = 0;
  auto args = bench::parse(argc, argv, {{"--leaves", "N", &leaves_flag}});
  const long leaves = leaves_flag > 0 ? leaves_flag : args.scale < 1 ? 100'000 : 1'000'000;
  if (!power_of_ten(leaves)) {
    std::fprintf(stderr, "bench skynet: --leaves %ld: a power of 10 (at least 10) is needed\n", leaves);
    return 2;
  }
  const std::string name = leaves == 1'000'000 ? "skynet" : "skynet_" + std::to_string(leaves);
  const std::vector<std::string> names = {"weft", "boost.fiber"};
  const std::vector<bench::Impl> impls = {{"weft", weft_skynet}, {"boost.fiber", fiber_skynet}};

  // Peak RSS first, each in a fresh child (before the timed runs grow this process).
  std::vector<double> rss;
  for (const bench::Impl& impl : impls) {
    const bool wanted = args.only.empty() || args.only == impl.name;
    rss.push_back(wanted ? peak_rss_mib(impl.run, leaves) : std::nan(""));
  }
  auto v = bench::measure(args, impls, leaves);
  const std::string what = std::to_string(leaves) + "-leaf tree of tasklets, whole run";
  bench::report(args, name.c_str(), "ms", what.c_str(), names, v, true,
                "weft <= 1/10 of Boost.Fiber");
  for (std::size_t i = 0; i < impls.size(); ++i) {
    if (std::isnan(rss[i])) continue;
    if (args.json) {
      std::printf("{\"bench\": \"skynet_rss\", \"impl\": \"%s\", \"value\": %.6g, \"unit\": \"MiB\","
                  " \"leaves\": %ld}\n",
                  names[i].c_str(), rss[i], leaves);
    } else {
      std::printf("         peak RSS %-11s %9.1f MiB (a run of its own)%s\n", names[i].c_str(), rss[i],
                  i == 0 && leaves >= 10'000'000 ? "   target: <= 1,536 MiB" : "");
    }
  }
  if (!args.json) std::printf("\n");
}
