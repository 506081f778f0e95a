// cores: the same work on one loop and on N loops (N = the CPUs this process
// may use, or --loops N), in one run, wall time:
//   cores_yield   a yield storm: 100 tasklets per loop yielding in turn (yields/s)
//   cores_skynet  skynet with 1M leaves, its ten subtrees spread over the loops
//                 with spawn_on (leaves/s)
//   cores_ceiling what the machine gives, on 1 thread and on N threads (ops/s):
//                 impl "alu_<T>" a dependent multiply-add chain (no memory
//                 traffic), impl "switch_<T>" raw Boost.Context switches over a
//                 ring of 100 fibers per thread (the yield storm without a
//                 runtime). On a VM whose vCPUs share physical cores, N
//                 threads give less than N times one thread, most of all for
//                 switching (loads, stores, branches), and no runtime can
//                 scale past the switch ratio
//   cores_threads the yield storm on N plain std::threads each running its own
//                 weft::dispatch(): the same loops without dispatch_loops' group
//                 (impl "threads_<N>"), to show what the group costs
//   cores_call    a round trip of Address::call<int> from a tasklet on loop 0 to
//                 a receiver on loop 1 (ns); floors: two threads handing a value
//                 back and forth through eventfds (each blocks until woken, as
//                 an idle loop does: impl "threads"), and through a spinning
//                 atomic (impl "threads_spin", which keeps two cores busy)
// The machine's CPU count is printed with the figures (bench "cores", unit
// "cpus"). Targets on 2 cores: yield and skynet on 2 loops >= 1.8x one loop;
// a cross-loop call <= 5x the eventfd floor.

#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <boost/context/fiber.hpp>

#include "bench/bench_util.hpp"
#include "mailbox/address.hpp"
#include "mailbox/mailbox.hpp"
#include "sched/extension.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/spawn_on.hpp"

namespace {

long g_loops = 0;  // --loops (0: the CPU count)

weft::DispatchOptions quiet() {
  weft::DispatchOptions o;
  o.handle_signals = false;
  return o;
}

constexpr long kStormTasklets = 100;

// One loop's part of the yield storm: kStormTasklets tasklets yielding `each` times.
void storm(long each) {
  std::vector<weft::Tasklet> ts;
  for (long k = 0; k < kStormTasklets; ++k) {
    ts.push_back(weft::Tasklet::spawn([each] {
      for (long i = 0; i < each; ++i) weft::Tasklet::yield_();
    }));
  }
  for (auto& t : ts) weft::Tasklet::join(t);
}

double yield_storm(long loops, long total) {
  const long each = total / loops / kStormTasklets;
  const auto t0 = std::chrono::steady_clock::now();
  weft::dispatch_loops(static_cast<std::size_t>(loops), [each](std::size_t) { storm(each); }, quiet());
  return static_cast<double>(each * kStormTasklets * loops) / bench::seconds_since(t0);
}

// The yield storm on N std::threads, each its own dispatch(), no group.
double yield_threads(long loops, long total) {
  const long each = total / loops / kStormTasklets;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (long l = 0; l < loops; ++l) {
    threads.emplace_back([each] { weft::dispatch([each] { storm(each); }, quiet()); });
  }
  for (auto& t : threads) t.join();
  return static_cast<double>(each * kStormTasklets * loops) / bench::seconds_since(t0);
}

// A dependent chain of multiply-adds per thread: no memory traffic, nothing
// shared, so its scaling is the machine's.
double ceiling(long threads, long total) {
  const long each = total / threads;
  std::atomic<std::uint64_t> sink{0};
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> ts;
  for (long t = 0; t < threads; ++t) {
    ts.emplace_back([each, t, &sink] {
      std::uint64_t x = static_cast<std::uint64_t>(t) + 1;
      for (long i = 0; i < 20 * each; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      sink.fetch_add(x, std::memory_order_relaxed);
    });
  }
  for (auto& t : ts) t.join();
  return static_cast<double>(20 * each * threads) / bench::seconds_since(t0);
}

// Raw Boost.Context: each thread resumes its 100 fibers in turn, each fiber
// switching straight back; ops are switches into a fiber.
double raw_switch(long threads, long total) {
  constexpr long kFibers = 100;
  const long each = total / threads / kFibers;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> ts;
  for (long t = 0; t < threads; ++t) {
    ts.emplace_back([each] {
      namespace ctx = boost::context;
      std::vector<ctx::fiber> fs;
      for (long k = 0; k < kFibers; ++k) {
        fs.emplace_back([each](ctx::fiber&& back) {
          for (long i = 0; i < each; ++i) back = std::move(back).resume();
          return std::move(back);
        });
      }
      for (long i = 0; i <= each; ++i) {
        for (auto& f : fs) f = std::move(f).resume();
      }
    });
  }
  for (auto& t : ts) t.join();
  return static_cast<double>(each * kFibers * threads) / bench::seconds_since(t0);
}

long node(long num, long size) {
  if (size == 1) return num;
  std::array<weft::TaskletOf<long>, 10> kids;
  const long step = size / 10;
  for (long i = 0; i < 10; ++i) {
    kids[static_cast<std::size_t>(i)] =
        weft::Tasklet::spawn([num, i, step] { return node(num + i * step, step); });
  }
  long sum = 0;
  for (auto& k : kids) sum += k.join();
  return sum;
}

double skynet_split(long loops, long leaves) {
  long sum = 0;
  const auto t0 = std::chrono::steady_clock::now();
  weft::dispatch_loops(static_cast<std::size_t>(loops), [&](std::size_t i) {
    if (i != 0) return;
    std::vector<weft::LoopTasklet<long>> parts;
    const long step = leaves / 10;
    for (long k = 0; k < 10; ++k) {
      parts.push_back(weft::spawn_on(weft::loop_at(static_cast<std::size_t>(k % loops)),
                                     [k, step] { return node(k * step, step); }));
    }
    for (auto& p : parts) sum += p.join();
  }, quiet());
  const double s = bench::seconds_since(t0);
  if (sum != leaves * (leaves - 1) / 2) std::abort();
  return static_cast<double>(leaves) / s;
}

double call_round_trip(long n) {
  double ns = 0;
  weft::dispatch_loops(2, [&](std::size_t i) {
    if (i != 0) return;
    weft::Address echo = weft::spawn_on(weft::loop_at(1), [] {
      weft::SpawnOptions o;
      o.daemon = true;
      return weft::Address(weft::receiver([](weft::Message& m) { m.reply(m.as<long>() + 1); }, o));
    }).join();
    for (long k = 0; k < 1000; ++k) echo.call<long>(k);  // warm up
    const auto t0 = std::chrono::steady_clock::now();
    long v = 0;
    for (long k = 0; k < n; ++k) v = echo.call<long>(v);
    ns = bench::seconds_since(t0) * 1e9 / static_cast<double>(n);
    if (v != n) std::abort();
  }, quiet());
  return ns;
}

double eventfd_round_trip(long n) {
  const int to_b = ::eventfd(0, EFD_CLOEXEC);
  const int to_a = ::eventfd(0, EFD_CLOEXEC);
  std::uint64_t x = 0;
  std::thread b([&] {
    std::uint64_t v;
    for (long k = 0; k < n; ++k) {
      if (::read(to_b, &v, sizeof v) != sizeof v) std::abort();
      if (::write(to_a, &v, sizeof v) != sizeof v) std::abort();
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  for (long k = 0; k < n; ++k) {
    std::uint64_t one = 1;
    if (::write(to_b, &one, sizeof one) != sizeof one) std::abort();
    if (::read(to_a, &x, sizeof x) != sizeof x) std::abort();
  }
  const double ns = bench::seconds_since(t0) * 1e9 / static_cast<double>(n);
  b.join();
  ::close(to_a);
  ::close(to_b);
  return ns;
}

double spin_round_trip(long n) {
  std::atomic<long> ball{0};  // odd: b's turn; even: a's
  std::thread b([&] {
    for (long k = 0; k < n; ++k) {
      while ((ball.load(std::memory_order_acquire) & 1) == 0) {
      }
      ball.fetch_add(1, std::memory_order_release);
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  for (long k = 0; k < n; ++k) {
    ball.fetch_add(1, std::memory_order_release);
    while ((ball.load(std::memory_order_acquire) & 1) == 1) {
    }
  }
  const double ns = bench::seconds_since(t0) * 1e9 / static_cast<double>(n);
  b.join();
  return ns;
}

double yield_1(long w) { return yield_storm(1, w); }
double yield_n(long w) { return yield_storm(g_loops, w); }
double threads_n(long w) { return yield_threads(g_loops, w); }
double ceiling_1(long w) { return ceiling(1, w); }
double ceiling_n(long w) { return ceiling(g_loops, w); }
double switch_1(long w) { return raw_switch(1, w); }
double switch_n(long w) { return raw_switch(g_loops, w); }
double skynet_1(long w) { return skynet_split(1, w); }
double skynet_n(long w) { return skynet_split(g_loops, w); }

}  // namespace

int main(int argc, char** argv) {
  long loops = 0;
  auto args = bench::parse(argc, argv, {{"--loops", "N", &loops}});
  g_loops = loops > 0 ? loops : static_cast<long>(weft::detail::cpu_count());
  const std::string n_name = "weft_" + std::to_string(g_loops);
  const long cpus = static_cast<long>(weft::detail::cpu_count());
  if (args.json) {
    bench::json_line("cores", "machine", static_cast<double>(cpus), "cpus");
  } else {
    std::printf("cores    this machine: %ld CPUs; N = %ld loops\n\n", cpus, g_loops);
  }
  const std::string target = "on 2 cores, " + n_name + " >= 1.8x weft_1";

  // The storm and its ceilings alternate run by run, so that the machine's
  // moods fall on both alike.
  const std::string t_name = "threads_" + std::to_string(g_loops);
  const std::string alu_n = "alu_" + std::to_string(g_loops);
  const std::string sw_n = "switch_" + std::to_string(g_loops);
  const long storm = static_cast<long>(20'000'000 * args.scale);
  auto y = bench::measure(args,
                          {{n_name, yield_n},
                           {"weft_1", yield_1},
                           {t_name, threads_n},
                           {sw_n, switch_n},
                           {"switch_1", switch_1},
                           {alu_n, ceiling_n},
                           {"alu_1", ceiling_1}},
                          storm);
  bench::report(args, "cores_yield", "ops/s", "yield storm, 100 tasklets per loop, wall time",
                {n_name, "weft_1"}, {y[0], y[1]}, false, target.c_str());
  bench::report(args, "cores_threads", "ops/s",
                "yield storm: dispatch_loops vs N threads each running its own dispatch()",
                {n_name, t_name}, {y[0], y[2]}, false, "what the group costs: ratio ~1");
  bench::report(args, "cores_ceiling", "ops/s",
                "the machine: raw Boost.Context switches, 100 fibers per thread",
                {sw_n, "switch_1"}, {y[3], y[4]}, false,
                "weft_N / weft_1 cannot beat switch_N / switch_1");
  bench::report(args, "cores_ceiling", "ops/s", "the machine: a multiply-add chain per thread",
                {alu_n, "alu_1"}, {y[5], y[6]}, false, "N threads on N real cores: ~N");

  auto s = bench::measure(args, {{n_name, skynet_n}, {"weft_1", skynet_1}},
                          args.scale < 1 ? 100'000 : 1'000'000);
  bench::report(args, "cores_skynet", "ops/s", "skynet leaves per second, subtrees spread by spawn_on",
                {n_name, "weft_1"}, s, false, target.c_str());

  auto c = bench::measure(args,
                          {{"weft", call_round_trip},
                           {"threads", eventfd_round_trip},
                           {"threads_spin", spin_round_trip}},
                          static_cast<long>(200'000 * args.scale));
  bench::report(args, "cores_call", "ns", "round trip between two loops (Address::call)",
                {"weft", "threads", "threads_spin"}, c, true,
                "weft <= 5x threads (eventfd floor)");
}
