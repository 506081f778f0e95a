#pragma once
// The chat example's parts, shared by chat_server, chat_demo and the tests.
//
// A room actor (a tasklet with a mailbox) keeps the members and broadcasts.
// Each client connection has a reader tasklet (the server's connection
// tasklet: lines in, messages to the room) and a writer tasklet whose mailbox
// is bounded: the room never waits for a client. When a writer's mailbox is
// full, that client is too slow: the room drops it (with a message to it and
// to the others) and goes on.
//
// Protocol: the first line a client sends is its name; every later line is
// broadcast to every member as "<name>: <line>". Notices start with "* ".

#include <cstddef>
#include <memory>
#include <string>

#include "io/socket.hpp"
#include "tasklet/tasklet.hpp"

namespace chat {

struct RoomOptions {
  // Lines that may wait for one client's writer before the client is dropped.
  std::size_t client_queue = 256;
};

// What the room has done so far (ask with stats()).
struct RoomStats {
  std::size_t members = 0;     // now
  std::size_t joined = 0;      // ever
  std::size_t said = 0;        // lines received from clients
  std::size_t delivered = 0;   // lines queued to writers (said x members, plus notices)
  std::size_t dropped = 0;     // clients dropped for being too slow
};

// Starts the room actor (a child of the caller).
weft::Tasklet start_room(RoomOptions options = {});

// The room's statistics (a call to the room). Must be called in a tasklet.
RoomStats stats(const weft::Tasklet& room, weft::Timeout t = 5.0);

// Runs one client connection against the room: use it as the server's
// connection handler. Returns when the client leaves or is dropped.
void serve_client(weft::Socket& s, const weft::Tasklet& room, const RoomOptions& options = {});

}  // namespace chat
