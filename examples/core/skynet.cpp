// skynet: a tree of 1,000,000 leaf tasklets; every node spawns 10 children and
// sums what they return. Prints the sum and the time it took.
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "tasklet/dispatch.hpp"
#include "tasklet/tasklet.hpp"

using weft::Tasklet;

long skynet(long num, long size) {
  if (size == 1) return num;
  std::array<weft::TaskletOf<long>, 10> children;
  const long step = size / 10;
  for (long i = 0; i < 10; ++i) {
    children[static_cast<std::size_t>(i)] =
        Tasklet::spawn([=] { return skynet(num + i * step, step); });
  }
  long sum = 0;
  for (auto& c : children) sum += c.join();
  return sum;
}

int main(int argc, char** argv) {
  const long leaves = argc > 1 ? std::atol(argv[1]) : 1'000'000;
  return weft::dispatch([leaves] {
    auto start = std::chrono::steady_clock::now();
    long sum = skynet(0, leaves);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("skynet: %ld leaves (%ld tasklets in all) summed to %ld in %.0f ms\n", leaves,
                leaves + leaves / 9, sum, ms);
    return sum == leaves * (leaves - 1) / 2 ? 0 : 1;
  });
}
