// A larger port: the classic Twisted recipe for bounded parallelism. A few
// "workers" share one iterator of jobs through a Cooperator, each job is
// inlineCallbacks-style code that waits on Deferreds, and a DeferredList says
// when every worker is done. Fetching is simulated with deferLater.
//
// Python original (abridged):
//   @inlineCallbacks
//   def fetch(url):
//       yield deferLater(reactor, delay_for(url))
//       if "broken" in url: raise IOError("cannot fetch " + url)
//       return len(url) * 100
//
//   @inlineCallbacks
//   def main(reactor):
//       jobs = (fetch(url).addCallbacks(ok, failed, (url,), None, (url,)) for url in urls)
//       coop = Cooperator()
//       workers = [coop.coiterate(jobs) for _ in range(3)]
//       yield DeferredList(workers)
//       report()
//   react(main)
//
// One C++ difference shows: a lambda captures by reference, so what the
// callbacks use must outlive them. Here `main` returns nothing, so react runs
// it as an inlineCallbacks body (its own tasklet) whose locals live until it
// returns, after every job has finished.

#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "compat_twisted/twisted.hpp"

using namespace weft::twisted;

int main() {
  const std::vector<std::string> urls = {
      "http://a.example/",      "http://b.example/index", "http://broken.example/",
      "http://c.example/about", "http://d.example/",      "http://e.example/news/today",
      "http://f.example/contact",
  };

  return react([&](Reactor& reactor) {
    const double t0 = reactor.seconds();
    std::printf("fetching %zu URLs with 3 workers (simulated: each fetch is a deferLater)\n",
                urls.size());
    auto delay_for = [](const std::string& url) { return 0.05 * double(url.size() % 5 + 1); };
    std::map<std::string, std::string> results;

    auto fetch = inlineCallbacks([&](const std::string& url) {
      wait(deferLater(reactor, delay_for(url)));
      if (url.find("broken") != std::string::npos) throw std::runtime_error("cannot fetch " + url);
      return long(url.size() * 100);
    });
    auto ok = [&](long size, const std::string& url) { results[url] = std::to_string(size) + " bytes"; };
    auto failed = [&](const Failure& f, const std::string& url) {
      results[url] = "failed: " + f.getErrorMessage();
    };

    // One iterator of jobs shared by every worker: each step starts a fetch
    // and hands its Deferred to the Cooperator, which waits for it.
    std::size_t next = 0;
    Iterator jobs = [&]() -> std::optional<Result> {
      if (next == urls.size()) return StopIteration;
      const std::string& url = urls[next++];
      std::printf("%5.2f s  start %s\n", reactor.seconds() - t0, url.c_str());
      return Result(fetch(url).addCallbacks(ok, failed, callbackArgs(url), errbackArgs(url)));
    };

    Cooperator coop(reactor);
    std::vector<Deferred> workers;
    for (int i = 0; i < 3; ++i) workers.push_back(coop.coiterate(jobs));
    wait(DeferredList(workers));

    std::printf("%5.2f s  all %zu workers done\n", reactor.seconds() - t0, workers.size());
    for (const auto& [url, what] : results) std::printf("  %-30s %s\n", url.c_str(), what.c_str());
  });
}
