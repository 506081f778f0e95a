// Two tasklets play ping-pong with messages: the smallest weft mailbox program.
//
// Each tasklet has a mailbox. send() drops a message (any C++ value) into
// another tasklet's mailbox; receive() takes the oldest one from your own,
// waiting if there is none. Messages are matched by their type.

#include <cstdio>

#include "mailbox/mailbox.hpp"
#include "tasklet/dispatch.hpp"

struct Ping {
  int round;
  weft::Tasklet reply_to;  // who to answer
};
struct Pong {
  int round;
};
struct Stop {};

int main() {
  return weft::dispatch([] {
    // The "pong" player answers every Ping with a Pong until told to stop.
    auto pong = weft::Tasklet::spawn([] {
      for (;;) {
        weft::Message m = weft::receive();
        if (m.is<Stop>()) return;
        const Ping& ping = m.as<Ping>();
        std::printf("  pong: got ping %d, sending pong\n", ping.round);
        weft::send(ping.reply_to, Pong{ping.round});
      }
    });

    // main plays "ping".
    for (int round = 1; round <= 3; ++round) {
      std::printf("ping: sending ping %d\n", round);
      weft::send(pong, Ping{round, weft::Tasklet::current()});
      Pong p = weft::receive(1.0).as<Pong>();  // waits at most 1 s
      std::printf("ping: got pong %d\n", p.round);
    }

    // The same exchange as a call: send a request and wait for its reply.
    auto echo = weft::receiver([](weft::Message& m) { m.reply(m.as<int>() * 2); });
    std::printf("call: 21 doubled is %d\n", weft::call<int>(echo, 21));

    weft::send(pong, Stop{});
    echo.kill();
    std::printf("done\n");
  });
}
