// The other process of the remote tests: `remote_peer URL NAME` registers a
// tasklet under NAME that serves the messages of tests/remote/messages.hpp,
// prints "ready" and runs until killed or until the tasklet finishes (Quit).
// Its log lines go to stdout as "log: ...", so the test sees what it refused.

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "mailbox/mailbox.hpp"
#include "remote/connection.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/remote/messages.hpp"

using namespace remote_test;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: remote_peer URL NAME\n");
    return 2;
  }
  const std::string url = argv[1];
  const std::string name = argv[2];
  weft::DispatchOptions options;
  options.log = [](weft::LogLevel, std::string_view line) {
    std::printf("log: %.*s\n", static_cast<int>(line.size()), line.data());
    std::fflush(stdout);
  };
  return weft::dispatch(
      [&] {
        auto conn = weft::remote::Connection::connect(url, 5.0);
        auto server = weft::Tasklet::spawn(
            [] {
              std::vector<int> record;
              auto verdicts = std::make_shared<std::vector<int>>();
              for (;;) {
                weft::Message m = weft::receive(weft::never);
                if (auto* s = m.get_if<Sum>()) {
                  int total = 0;
                  for (int n : s->numbers) total += n;
                  m.reply<Sum>(total);
                } else if (auto* s = m.get_if<Slow>()) {
                  const Slow slow = *s;
                  weft::Tasklet::spawn([slow, m = std::move(m)]() mutable {
                    weft::Tasklet::sleep(slow.seconds);
                    m.reply<Slow>(slow.value);
                  });
                } else if (auto* p = m.get_if<Patient>()) {
                  weft::Tasklet::spawn([seconds = p->seconds, verdicts, m = std::move(m)]() mutable {
                    weft::Tasklet::sleep(seconds);
                    const bool waits = m.wants_reply();
                    verdicts->push_back(waits ? 1 : 0);
                    m.reply<Patient>(waits);
                  });
                } else if (m.is<Verdicts>()) {
                  m.reply<Verdicts>(*verdicts);
                } else if (auto* r = m.get_if<Record>()) {
                  record.push_back(r->value);
                } else if (m.is<Fetch>()) {
                  m.reply<Fetch>(record);
                } else if (auto* f = m.get_if<Fail>()) {
                  m.reply_error(std::make_exception_ptr(std::runtime_error(f->text)));
                } else if (m.is<Quit>()) {
                  return;  // m goes unanswered: its caller gets a CallError
                }
              }
            },
            {.name = "peer server"});
        auto reg = conn.register_name<Sum, Slow, Patient, Verdicts, Record, Fetch, Fail, Quit>(server, name);
        std::printf("ready\n");
        std::fflush(stdout);
        server.join(weft::never);
        weft::Tasklet::sleep(0.2);  // the Quit's CallError reply goes out
      },
      options);
}
