// deferred: compat_twisted's Deferred machinery, ns per step, against real
// Twisted (Debian's python3-twisted under /usr/bin/python3) timing the same
// three jobs in the same run:
//   chain       one Deferred with 1M callbacks (x -> x + 1): add them, fire it;
//   gather      100k Deferreds through gatherResults, fired one by one;
//   cooperator  a Cooperator over 1,000 iterators of 100 steps each, on a Clock,
//               ticks never cut short (the step overhead, not the 10 ms slices).
// The Twisted peer is skipped (with a note) when it cannot run. No target
// ratio: the peer is an interpreter; the ratio is printed for the record.
// Both sides time with the thread's CPU clock (time.thread_time() in Python),
// so a busy machine does not count the time spent waiting for a core.
// Twisted's chain runs 1/100 of the callbacks (impl "twisted-10k"): it pops
// its callback list from the front (list.pop(0)), which makes one long chain
// quadratic: 1M callbacks take it about 270 s, 10k stay in the linear range.

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_util.hpp"
#include "compat_twisted/twisted.hpp"
#include "tasklet/dispatch.hpp"

namespace {

using namespace weft::twisted;

constexpr long kChain = 1000000;
constexpr long kGather = 100000;
constexpr long kIterators = 1000;
constexpr long kStepsEach = 100;

double weft_chain(long n) {
  double ns = 0;
  weft::dispatch([&] {
    bench::CpuTimer timer;
    Deferred d;
    for (long i = 0; i < n; ++i) d.addCallback([](long x) { return x + 1; });
    d.callback(0L);
    ns = timer.seconds() * 1e9 / static_cast<double>(n);
    if (d.result().as<long>() != n) std::abort();
  });
  return ns;
}

double weft_gather(long n) {
  double ns = 0;
  weft::dispatch([&] {
    bench::CpuTimer timer;
    std::vector<Deferred> ds(static_cast<std::size_t>(n));
    Deferred all = gatherResults(ds);
    for (long i = 0; i < n; ++i) ds[static_cast<std::size_t>(i)].callback(i);
    ns = timer.seconds() * 1e9 / static_cast<double>(n);
    if (all.result().as<std::vector<Result>>().size() != static_cast<std::size_t>(n)) std::abort();
  });
  return ns;
}

double weft_cooperator(long steps) {
  const long iterators = kIterators;
  const long each = steps / iterators;
  double ns = 0;
  weft::dispatch([&] {
    Clock clock;
    CooperatorOptions o;
    o.terminationPredicateFactory = [] { return [] { return false; }; };
    o.scheduler = [&clock](std::function<void()> tick) { return clock.callLater(0, std::move(tick)); };
    bench::CpuTimer timer;
    Cooperator coop(o);
    std::vector<Deferred> done;
    long total = 0;
    for (long i = 0; i < iterators; ++i) {
      done.push_back(coop.coiterate([&total, each, k = 0L]() mutable -> std::optional<Result> {
        if (k == each) return StopIteration;
        ++k;
        ++total;
        return Result();
      }));
    }
    while (!clock.getDelayedCalls().empty()) clock.advance(0);
    ns = timer.seconds() * 1e9 / static_cast<double>(total);
    if (total != iterators * each) std::abort();
  });
  return ns;
}

// The Twisted peer: the same three jobs, `runs` times each, medians printed
// as "name value" lines.
const char* kTwistedScript = R"PY(
import sys, time, statistics
from twisted.internet import defer, task
runs, chain_n, gather_n, iters, each = (int(a) for a in sys.argv[1:6])

def chain():
    t0 = time.thread_time()
    d = defer.Deferred()
    for _ in range(chain_n):
        d.addCallback(lambda x: x + 1)
    d.callback(0)
    assert d.result == chain_n
    return (time.thread_time() - t0) * 1e9 / chain_n

def gather():
    t0 = time.thread_time()
    ds = [defer.Deferred() for _ in range(gather_n)]
    g = defer.gatherResults(ds)
    for i, d in enumerate(ds):
        d.callback(i)
    assert len(g.result) == gather_n
    return (time.thread_time() - t0) * 1e9 / gather_n

def cooperator():
    clock = task.Clock()
    total = [0]
    def it():
        for _ in range(each):
            total[0] += 1
            yield None
    t0 = time.thread_time()
    coop = task.Cooperator(terminationPredicateFactory=lambda: (lambda: False),
                           scheduler=lambda f: clock.callLater(0, f))
    done = [coop.coiterate(it()) for _ in range(iters)]
    while clock.getDelayedCalls():
        clock.advance(0)
    assert total[0] == iters * each
    return (time.thread_time() - t0) * 1e9 / total[0]

for name, f in (("chain", chain), ("gather", gather), ("cooperator", cooperator)):
    print(name, statistics.median(f() for _ in range(runs)), flush=True)
)PY";

// Runs the Twisted peer; empty when it cannot (no python3-twisted).
std::vector<double> twisted_peer(const bench::Args& a, long chain, long gather, long steps) {
  char path[] = "/tmp/weft-bench-deferred-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) return {};
  ::close(fd);
  std::ofstream(path) << kTwistedScript;
  std::ostringstream cmd;
  cmd << "/usr/bin/python3 " << path << ' ' << a.runs << ' ' << chain / 100 << ' ' << gather << ' '
      << kIterators << ' ' << steps / kIterators << " 2>/dev/null";
  std::vector<double> out;
  if (FILE* p = ::popen(cmd.str().c_str(), "r")) {
    char name[32];
    double v;
    while (std::fscanf(p, "%31s %lf", name, &v) == 2) out.push_back(v);
    ::pclose(p);
  }
  ::unlink(path);
  if (out.size() != 3) out.clear();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Args args = bench::parse(argc, argv);
  const long chain = static_cast<long>(kChain * args.scale);
  const long gather = static_cast<long>(kGather * args.scale);
  const long steps = static_cast<long>(kIterators * kStepsEach * args.scale);

  std::vector<double> ours = {
      bench::measure(args, {{"weft", weft_chain}}, chain)[0],
      bench::measure(args, {{"weft", weft_gather}}, gather)[0],
      bench::measure(args, {{"weft", weft_cooperator}}, steps)[0],
  };
  const std::vector<double> peer = twisted_peer(args, chain, gather, steps);
  if (peer.empty() && !args.json) {
    std::printf("deferred: the Twisted peer did not run (is python3-twisted installed for "
                "/usr/bin/python3?)\n\n");
  }
  const char* names[] = {"deferred_chain", "deferred_gather", "deferred_cooperator"};
  const char* what[] = {"1M callbacks on one Deferred, per callback",
                        "100k Deferreds through gatherResults, per Deferred",
                        "Cooperator over 1,000 iterators, per step"};
  for (int i = 0; i < 3; ++i) {
    std::vector<std::string> impls{"weft"};
    std::vector<double> values{ours[static_cast<std::size_t>(i)]};
    if (!peer.empty()) {
      impls.push_back(i == 0 ? "twisted-" + std::to_string(chain / 100000) + "k" : "twisted");
      values.push_back(peer[static_cast<std::size_t>(i)]);
    }
    bench::report(args, names[i], "ns/step", what[i], impls, values, true,
                  "none (the peer is an interpreter; ratio for the record)");
  }
  return 0;
}
