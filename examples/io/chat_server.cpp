// A chat server: a room actor with a mailbox, and per client one reader and
// one writer tasklet. A slow client cannot stall the room: its writer's queue
// is bounded, and it is dropped when the queue is full.
//
//   chat_server [ENDPOINT]     default 127.0.0.1:7070; port 0 picks a free one
//
// Try it with two terminals running `nc 127.0.0.1 7070`: type a name, then lines.

#include <cstdio>
#include <string>

#include "examples/io/chat_room.hpp"
#include "io/server.hpp"
#include "tasklet/dispatch.hpp"

int main(int argc, char** argv) {
  const std::string where = argc > 1 ? argv[1] : "127.0.0.1:7070";
  return weft::dispatch([&] {
    const weft::Tasklet room = chat::start_room();
    auto server = weft::serve(weft::Endpoint::parse(where),
                              [&room](weft::Socket& s) { chat::serve_client(s, room); },
                              {.name = "chat"});
    std::printf("listening on %s\n", server.endpoint().to_string().c_str());
    std::fflush(stdout);
    server.join(weft::never);
  });
}
