#pragma once
// What every weft benchmark shares: argument parsing, medians, and the output
// (a readable table, or with --json one object per line:
// {"bench": NAME, "impl": IMPL, "value": X, "unit": UNIT}). Ours and the
// peer's figures always come from the same run, measured alternately.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace bench {

struct Args {
  bool json = false;
  int runs = 5;        // --runs N: measurements per implementation (the median is reported)
  double scale = 1.0;  // --quick: a tenth of the work (for smoke runs)
  std::string only;    // --only NAME: measure just that implementation (for profiling)
};

// A benchmark's own flag that takes a positive integer, e.g. {"--conns", "N", &conns}:
// parse() stores its value in *value (which keeps its default when the flag is absent).
struct IntFlag {
  const char* flag;
  const char* metavar;
  long* value;
};

inline Args parse(int argc, char** argv, std::initializer_list<IntFlag> extra = {}) {
  Args a;
  const auto usage = [&] {
    std::fprintf(stderr, "usage: %s [--json] [--quick] [--runs N] [--only IMPL]", argv[0]);
    for (const IntFlag& f : extra) std::fprintf(stderr, " [%s %s]", f.flag, f.metavar);
    std::fprintf(stderr, "\n");
    std::exit(2);
  };
  bool runs_given = false;  // --runs N wins over --quick's 3, in either order
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      a.json = true;
    } else if (std::strcmp(argv[i], "--quick") == 0) {
      a.scale = 0.1;
      if (!runs_given) a.runs = 3;
    } else if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      a.runs = std::max(1, std::atoi(argv[++i]));
      runs_given = true;
    } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      a.only = argv[++i];
    } else {
      const IntFlag* f = nullptr;
      for (const IntFlag& e : extra) {
        if (std::strcmp(argv[i], e.flag) == 0) f = &e;
      }
      if (f == nullptr || i + 1 >= argc) usage();
      char* end = nullptr;
      const long v = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || end == argv[i] || v <= 0) usage();
      *f->value = v;
    }
  }
  return a;
}

// Whether `flag` is among the arguments (e.g. to tell a default --runs from one asked for).
inline bool has_flag(int argc, char** argv, const char* flag) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], flag) == 0) return true;
  }
  return false;
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n == 0 ? 0.0 : (n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

// Wall time since t0, seconds (for benchmarks that wait on IO or other threads).
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU time of the calling thread (user + system), seconds. The CPU-bound
// benchmarks time themselves with it: on an idle machine it equals wall time,
// and on a busy one it does not count the time the thread waited for a core.
inline double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct CpuTimer {
  double start = thread_cpu_seconds();
  double seconds() const { return thread_cpu_seconds() - start; }
};

// One implementation's measurement function: returns the figure of one run.
struct Impl {
  std::string name;
  double (*run)(long work);
};

// Measures every implementation `runs` times, alternating between them, and
// returns the medians in the order given (NaN for one --only left out).
inline std::vector<double> measure(const Args& a, const std::vector<Impl>& impls, long work) {
  std::vector<std::vector<double>> samples(impls.size());
  for (int r = 0; r < a.runs; ++r) {
    for (std::size_t i = 0; i < impls.size(); ++i) {
      if (a.only.empty() || a.only == impls[i].name) samples[i].push_back(impls[i].run(work));
    }
  }
  std::vector<double> out;
  for (auto& s : samples) out.push_back(s.empty() ? std::nan("") : median(s));
  return out;
}

// A figure for a table cell, printed with `fmt`; "-" when there is none (NaN).
inline std::string cell(double v, const char* fmt) {
  if (std::isnan(v)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, fmt, v);
  return b;
}

// One figure as a JSON line: {"bench": NAME, "impl": IMPL, "value": X, "unit": UNIT}.
inline void json_line(const char* bench, const char* impl, double value, const char* unit) {
  std::printf("{\"bench\": \"%s\", \"impl\": \"%s\", \"value\": %.6g, \"unit\": \"%s\"}\n", bench,
              impl, value, unit);
}

// Prints the figures: the first implementation is ours; every other one is a
// peer whose ratio to ours is shown. `target` describes the goal in words.
inline void report(const Args& a, const char* bench, const char* unit, const char* what,
                   const std::vector<std::string>& names, const std::vector<double>& values,
                   bool lower_is_better, const char* target) {
  if (a.json) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (!std::isnan(values[i])) json_line(bench, names[i].c_str(), values[i], unit);
    }
    std::fflush(stdout);
    return;
  }
  std::printf("%-8s %s (%s, %s is better; median of %d runs)\n", bench, what, unit,
              lower_is_better ? "lower" : "higher", a.runs);
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::printf("         %-16s %12.4g %s\n", names[i].c_str(), values[i], unit);
  }
  for (std::size_t i = 1; i < names.size(); ++i) {
    if (std::isnan(values[0]) || std::isnan(values[i])) continue;
    std::printf("         ratio %s / %s = %.3g\n", names[0].c_str(), names[i].c_str(),
                values[0] / values[i]);
  }
  std::printf("         target: %s\n\n", target);
  std::fflush(stdout);
}

}  // namespace bench
