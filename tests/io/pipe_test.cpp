// A Socket over a pipe whose reader has gone: every write path fails with a
// ConnectionResetError naming the fd, and never raises SIGPIPE (the library
// does not rely on the program ignoring it, and leaves the signal's
// disposition, the thread's mask and a SIGPIPE pending for someone else as
// they were).

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>

#include "io/socket.hpp"
#include "io/stream.hpp"
#include "tasklet/dispatch.hpp"
#include "tests/support/weft_test.hpp"

using weft::Socket;
using weft_test::contains;
using weft_test::run;

namespace {

// How a child process ended, and what it wrote.
struct Child {
  int status = 0;
  std::string output;
};

// Runs `body` in a child process with SIGPIPE at its default disposition and
// unblocked (so that a SIGPIPE kills it), and returns what body returned.
Child in_child(const std::function<std::string()>& body) {
  int out[2];
  REQUIRE(::pipe(out) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(out[0]);
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t pipe_only;
    ::sigemptyset(&pipe_only);
    ::sigaddset(&pipe_only, SIGPIPE);
    ::pthread_sigmask(SIG_UNBLOCK, &pipe_only, nullptr);
    std::string s;
    try {
      s = body();
    } catch (const std::exception& e) {
      s = std::string("unexpected exception: ") + e.what();
    } catch (...) {
      s = "unexpected exception";
    }
    const char* p = s.data();
    std::size_t left = s.size();
    while (left > 0) {
      const ssize_t w = ::write(out[1], p, left);
      if (w <= 0) break;
      p += w;
      left -= static_cast<std::size_t>(w);
    }
    ::_exit(0);  // no atexit handlers, no doctest report from the child
  }
  ::close(out[1]);
  Child c;
  char buf[4096];
  for (;;) {
    const ssize_t r = ::read(out[0], buf, sizeof buf);
    if (r <= 0) break;
    c.output.append(buf, static_cast<std::size_t>(r));
  }
  ::close(out[0]);
  while (::waitpid(pid, &c.status, 0) < 0 && errno == EINTR) {
  }
  return c;
}

// A pipe whose read end is closed: its write end (the caller owns it).
int pipe_without_reader() {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  ::close(fds[0]);
  return fds[1];
}

// Runs one write path on a fresh Socket over a pipe without a reader and
// says how it failed: "<label>: <message>\n".
template <class Write>
std::string attempt(const char* label, Write write) {
  Socket w(pipe_without_reader());
  const std::string fd = std::to_string(w.fd());
  std::string line = std::string(label) + ": ";
  try {
    write(w);
    line += "no error";
  } catch (const weft::ConnectionResetError& e) {
    const std::string m = e.what();
    const bool ok = e.error_number() == EPIPE &&
                    contains(m, "weft: write to fd " + fd + " failed: its read end is closed") &&
                    contains(m, "(EPIPE)");
    line += ok ? "ok" : "bad message: " + m;
  }
  return line + "\n";
}

// Every write path of Socket and BufferedStream over a reader-less pipe.
std::string all_write_paths() {
  std::string report;
  run([&] {
    report += attempt("write", [](Socket& w) { w.write("x", 1.0); });
    report += attempt("second write", [](Socket& w) {
      try {
        w.write("x", 1.0);  // the first learns the fd is no socket...
      } catch (const weft::ConnectionResetError&) {
      }
      w.write("x", 1.0);  // ...the second goes straight to write()
    });
    report += attempt("write_all", [](Socket& w) { w.write_all(std::string(100'000, 'a'), 1.0); });
    report += attempt("stream flush", [](Socket& w) {
      weft::BufferedStream s(w);
      s.write("buffered", 1.0);
      s.flush(1.0);
    });
    report += attempt("stream large write", [](Socket& w) {
      weft::BufferedStream s(w);
      s.write(std::string(200'000, 'b'), 1.0);  // past the buffer: straight to write_all
    });
  });
  return report;
}

sigset_t pipe_set() {
  sigset_t s;
  ::sigemptyset(&s);
  ::sigaddset(&s, SIGPIPE);
  return s;
}

bool sigpipe_pending() {
  sigset_t p;
  ::sigpending(&p);
  return ::sigismember(&p, SIGPIPE) == 1;
}

bool sigpipe_blocked() {
  sigset_t m;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &m);
  return ::sigismember(&m, SIGPIPE) == 1;
}

// Takes a pending SIGPIPE, if any; true when there was one.
bool take_sigpipe() {
  const sigset_t s = pipe_set();
  const timespec now{0, 0};
  return ::sigtimedwait(&s, nullptr, &now) == SIGPIPE;
}

}  // namespace

TEST_SUITE("io") {

TEST_CASE("a Socket over a pipe whose reader has gone: EPIPE naming the fd, never SIGPIPE") {
  const Child c = in_child(all_write_paths);
  INFO("child output:\n" << c.output);
  const std::string killed_by =
      WIFSIGNALED(c.status) ? std::string(::strsignal(WTERMSIG(c.status))) : std::string("-");
  REQUIRE_MESSAGE(!WIFSIGNALED(c.status), "the child was killed by a signal: " << killed_by);
  REQUIRE(WIFEXITED(c.status));
  CHECK(WEXITSTATUS(c.status) == 0);
  CHECK(c.output ==
        "write: ok\n"
        "second write: ok\n"
        "write_all: ok\n"
        "stream flush: ok\n"
        "stream large write: ok\n");
}

TEST_CASE("a pipe write's SIGPIPE is taken back; the mask and a SIGPIPE pending before are left") {
  // SIGPIPE blocked here, so that a failure of this test shows as a pending
  // signal rather than the death of the test process.
  const sigset_t s = pipe_set();
  sigset_t saved;
  REQUIRE(::pthread_sigmask(SIG_BLOCK, &s, &saved) == 0);
  while (take_sigpipe()) {
  }
  run([] {
    Socket w(pipe_without_reader());
    CHECK_THROWS_AS(w.write("x", 1.0), weft::ConnectionResetError);
    CHECK_FALSE(sigpipe_pending());  // the write's own SIGPIPE is gone
    CHECK(sigpipe_blocked());        // the caller's mask is as it was

    // A SIGPIPE that was pending before the write is someone else's: it stays.
    REQUIRE(::raise(SIGPIPE) == 0);
    REQUIRE(sigpipe_pending());
    CHECK_THROWS_AS(w.write_all("x", 1.0), weft::ConnectionResetError);
    CHECK(sigpipe_pending());
    CHECK(take_sigpipe());
  });
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);

  // Unblocked and ignored (so a regression cannot kill the suite): the write
  // leaves SIGPIPE unblocked and its disposition alone.
  struct sigaction ignore {};
  struct sigaction old {};
  ignore.sa_handler = SIG_IGN;
  ::sigemptyset(&ignore.sa_mask);
  REQUIRE(::sigaction(SIGPIPE, &ignore, &old) == 0);
  ::pthread_sigmask(SIG_UNBLOCK, &s, nullptr);
  run([] {
    Socket w(pipe_without_reader());
    CHECK_THROWS_AS(w.write("x", 1.0), weft::ConnectionResetError);
    CHECK_FALSE(sigpipe_blocked());
    struct sigaction now {};
    ::sigaction(SIGPIPE, nullptr, &now);
    const bool still_ignored = now.sa_handler == SIG_IGN;
    CHECK(still_ignored);
  });
  ::sigaction(SIGPIPE, &old, nullptr);
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
}

}  // TEST_SUITE
