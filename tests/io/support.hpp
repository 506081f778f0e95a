#pragma once
// Helpers of the io tests: loopback socket pairs, raised fd limits, resident
// memory, and example programs run as child processes.

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "io/endpoint.hpp"
#include "io/socket.hpp"
#include "io/stream.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

extern char** environ;

namespace io_test {

// How many file descriptors this process has open (entries of /proc/self/fd,
// less the one opendir holds while counting).
inline int open_fds() {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  int n = 0;
  while (const dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
  ::closedir(d);
  return n - 1;
}

// True when built with AddressSanitizer: its quarantine of freed memory and
// its shadow pages make resident memory say little about the program's own.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAsan = true;
#else
inline constexpr bool kAsan = false;
#endif
#else
inline constexpr bool kAsan = false;
#endif

// Resident anonymous memory of this process now, in KiB (RssAnon in
// /proc/self/status: the heap, stacks and other private mappings, not the
// program's code, whose pages come in as code first runs). The heap's free
// memory is given back to the kernel first (malloc_trim), so that the figure
// counts what is held rather than what the allocator kept for later. -1 when
// /proc cannot be read.
inline long resident_kib() {
  ::malloc_trim(0);
  std::ifstream f("/proc/self/status");
  std::string key;
  while (f >> key) {
    long kib = 0;
    if (key == "RssAnon:" && f >> kib) return kib;
    f.ignore(4096, '\n');
  }
  return -1;
}

// Checks that resident memory grew by at most `bound_kib` from `before_kib`
// to `after_kib` over `what`. The figures are always reported; under ASan
// (see kAsan) they are not checked.
inline void check_rss_growth(const std::string& what, long before_kib, long after_kib,
                             long bound_kib) {
  MESSAGE("RSS over " << what << ": " << before_kib << " KiB before, " << after_kib
                      << " KiB after (bound: growth <= " << bound_kib << " KiB)");
  REQUIRE(before_kib > 0);
  REQUIRE(after_kib > 0);
  if (kAsan) {
    MESSAGE("RSS bound not checked: under AddressSanitizer resident memory includes its quarantine");
    return;
  }
  CHECK_MESSAGE(after_kib - before_kib <= bound_kib,
                "resident memory grew by " << after_kib - before_kib << " KiB over " << what
                                           << " (bound " << bound_kib << " KiB)");
}

// A Unix socket path unique to this process and `tag`, not existing yet.
inline std::string unix_socket_path(const std::string& tag) {
  std::string p = "/tmp/weft-io-" + tag + "-" + std::to_string(::getpid()) + ".sock";
  ::unlink(p.c_str());
  return p;
}

// A listener on a free loopback port.
inline weft::Socket loopback_listener(weft::ListenOptions o = {}) {
  return weft::Socket::listen(weft::Endpoint::ip("127.0.0.1", 0), o);
}

// Two connected ends of a loopback TCP connection.
struct Pair {
  weft::Socket client;
  weft::Socket server;
};

inline Pair tcp_pair(weft::SocketOptions o = {}) {
  weft::Socket listener = loopback_listener();
  weft::Socket c = weft::Socket::connect(listener.local_endpoint(), 2.0, o);
  weft::Socket s = listener.accept(2.0);
  return {std::move(c), std::move(s)};
}

// Raises RLIMIT_NOFILE to `want` (the hard limit too, as far as root may:
// up to /proc/sys/fs/nr_open) and restores it on destruction.
class FdLimit {
 public:
  explicit FdLimit(rlim_t want) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit r = saved_;
    if (r.rlim_max < want) {
      rlim_t nr_open = want;
      std::ifstream f("/proc/sys/fs/nr_open");
      if (f >> nr_open && nr_open < want) want = nr_open;
      rlimit raised{want, want};
      if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
        r = raised;
      }
    }
    if (r.rlim_cur < want) {
      r.rlim_cur = std::min(want, r.rlim_max);
      ::setrlimit(RLIMIT_NOFILE, &r);
    }
    ::getrlimit(RLIMIT_NOFILE, &now_);
  }
  ~FdLimit() {
    // Lower the soft limit back; a raised hard limit stays (lowering it is harmless, but
    // raising it again needs root, so leave it for later tests).
    rlimit r = now_;
    r.rlim_cur = saved_.rlim_cur;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
  rlim_t soft() const { return now_.rlim_cur; }

 private:
  rlimit saved_{};
  rlimit now_{};
};

// A program run as a child process with its stdout on a pipe. The destructor
// sends SIGTERM and reaps it.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    if (rc != 0) {
      ::close(fds[0]);
      throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    out_ = weft::Socket(fds[0]);
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // The next line the child prints (without its newline).
  std::string read_line(weft::Timeout t = 5.0) {
    // One byte at a time, so that nothing is left in a buffer between calls.
    std::string line;
    char c;
    weft::DeadlineScope scope(t);
    while (out_.read({&c, 1}) == 1 && c != '\n') line += c;
    return line;
  }
  // The endpoint from a "listening on <endpoint>" line.
  weft::Endpoint listening_endpoint() {
    const std::string line = read_line();
    const std::string prefix = "listening on ";
    if (line.compare(0, prefix.size(), prefix) != 0) {
      throw std::runtime_error("unexpected first line from the child: '" + line + "'");
    }
    return weft::Endpoint::parse(line.substr(prefix.size()));
  }
  // Sends `sig` and waits (polling, so the loop keeps running) for the exit
  // status; -1 when it does not end within `patience` seconds.
  int stop(int sig = SIGTERM, double patience = 5.0) {
    ::kill(pid_, sig);
    const auto start = weft::now();
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (weft_test::since(start) > patience) return -1;
      weft::Tasklet::sleep(0.01);
    }
  }
  weft::Socket& output() { return out_; }

 private:
  pid_t pid_ = -1;
  weft::Socket out_;
};

}  // namespace io_test
