#pragma once
// A real nats-server on loopback for the remote tests, the remote example's
// test and the remote benchmark: started on a free port (-p -1, the port read
// back from its ports file), stopped (SIGTERM, or SIGKILL) and started again
// on the same port. Plain POSIX, no weft: start() blocks the caller until the
// server listens (a few ms). When nats-server is not installed, start()
// throws — remote tests fail loudly rather than skip (`make deps` installs it).

#include <signal.h>
#include <spawn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace weft_test {

class NatsServer {
 public:
  NatsServer() { start(); }
  ~NatsServer() {
    stop(SIGKILL);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  // The path of nats-server: $WEFT_NATS_SERVER, else the first in PATH,
  // /usr/sbin or /usr/bin; empty when there is none.
  static std::string program() {
    if (const char* p = std::getenv("WEFT_NATS_SERVER"); p != nullptr && *p != '\0') return p;
    std::string dirs = std::getenv("PATH") ? std::getenv("PATH") : "";
    dirs += ":/usr/sbin:/usr/bin:/usr/local/bin";
    std::stringstream in(dirs);
    for (std::string d; std::getline(in, d, ':');) {
      const std::string f = d + "/nats-server";
      if (!d.empty() && ::access(f.c_str(), X_OK) == 0) return f;
    }
    return "";
  }

  // Starts the server: on a free port the first time, on the same port after.
  void start() {
    const std::string prog = program();
    if (prog.empty()) {
      throw std::runtime_error("nats-server is not installed (Debian package nats-server; "
                               "`make deps` installs it): the remote tests need it");
    }
    if (dir_.empty()) {
      char tmpl[] = "/tmp/weft-nats-XXXXXX";
      if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
      dir_ = tmpl;
    }
    std::vector<std::string> argv = {prog, "-a", "127.0.0.1", "-p", port_ ? std::to_string(port_) : "-1",
                                     "--ports_file_dir", dir_};
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, (dir_ + "/log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    const int rc = ::posix_spawn(&pid_, prog.c_str(), &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot start " + prog + ": " + std::strerror(rc));
    const std::string ports = dir_ + "/nats-server_" + std::to_string(pid_) + ".ports";
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      std::ifstream f(ports);
      std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      // {"nats":["nats://127.0.0.1:PORT"],...}
      const auto at = text.find("nats://127.0.0.1:");
      if (at != std::string::npos && text.find(']', at) != std::string::npos) {
        port_ = std::atoi(text.c_str() + at + 17);
        break;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("nats-server exited at start (see " + dir_ + "/log)");
      }
      if (std::chrono::steady_clock::now() > until) throw std::runtime_error("nats-server did not start");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::filesystem::remove(ports);
  }

  // Stops the server (SIGTERM: it closes its clients; SIGKILL: it just dies)
  // and waits for it.
  void stop(int sig = SIGTERM) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  int port() const { return port_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_;
};

}  // namespace weft_test
