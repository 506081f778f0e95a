// bench_echo's process plumbing: the server child (killed and reaped on every
// way out), fatal errors, the fd limit and CPU accounting from /proc.
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace echo_bench {

// The server child of the current run; killed and reaped on every way out.
inline volatile pid_t g_child = -1;

inline void stop_child() {
  const pid_t pid = g_child;
  if (pid > 0) {
    g_child = -1;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
}

// Stops the server child, says "bench <who>: <message>" on stderr and exits 1.
[[noreturn]] inline void vfail(const char* who, const char* fmt, va_list ap) {
  stop_child();
  std::fprintf(stderr, "bench %s: ", who);
  std::vfprintf(stderr, fmt, ap);
  std::fputc('\n', stderr);
  std::exit(1);
}

[[noreturn]] inline void fail(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail("echo", fmt, ap);
}

inline void on_fatal_signal(int sig) {  // kill, waitpid, signal and raise are async-signal-safe
  stop_child();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

inline std::string errno_text(int err) { return std::strerror(err); }

inline std::string with_commas(long v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

// Raises the soft RLIMIT_NOFILE as far as the hard limit (and fs.nr_open)
// allow; returns the soft limit now in force.
inline long raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur != rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &want) != 0 && rl.rlim_max == RLIM_INFINITY) {
      long nr_open = 0;
      std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
      if (nr_open > 0) {
        want.rlim_cur = static_cast<rlim_t>(nr_open);
        ::setrlimit(RLIMIT_NOFILE, &want);
      }
    }
    ::getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur == RLIM_INFINITY ? (1L << 30) : static_cast<long>(rl.rlim_cur);
}

// CPU time of process `pid` so far, seconds: user + system, or (user_only) user alone.
inline double process_cpu_seconds(pid_t pid, bool user_only = false) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto close = s.rfind(')');
  if (close == std::string::npos) return 0;
  // Fields after the command: state is field 3; utime and stime are 14 and 15.
  std::vector<std::string> fields;
  std::size_t i = close + 2;
  while (i < s.size() && fields.size() < 13) {
    const auto sp = s.find(' ', i);
    fields.push_back(s.substr(i, sp - i));
    i = sp + 1;
  }
  if (fields.size() < 13) return 0;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return (std::stod(fields[11]) + (user_only ? 0.0 : std::stod(fields[12]))) / ticks;
}

// CPU time of this process (the generator), seconds.
inline double own_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The kernel's count of connections dropped because an accept queue was full
// (TcpExt ListenOverflows in /proc/net/netstat; -1 when unreadable).
inline long listen_overflows() {
  std::ifstream f("/proc/net/netstat");
  std::string names;
  std::string values;
  while (std::getline(f, names) && std::getline(f, values)) {
    if (names.rfind("TcpExt:", 0) != 0) continue;
    std::istringstream n(names);
    std::istringstream v(values);
    std::string name;
    std::string value;
    while (n >> name && v >> value) {
      if (name == "ListenOverflows") return std::stol(value);
    }
  }
  return -1;
}

}  // namespace echo_bench
