#pragma once
// The frames on the wire (docs/remote.md, "Payloads"):
//   message (send or call):  [type: str, timeout_ms: int | nil, body]
//   reply:                   [0, body]
//                          | [status: int, error_type: str, message: str]
// status 1: the handler's error (reply_error, or its call failed there),
//        2: the call could not reach the tasklet or it dropped the message,
//        3: the message could not be decoded or its type is not accepted.

#include <cstdint>
#include <string>
#include <string_view>

#include "weft/remote/codec.hpp"
#include "weft/sched/park.hpp"

namespace weft::remote::detail {

enum class Status : std::int64_t { ok = 0, handler_error = 1, unreachable = 2, bad_message = 3 };

// The wire name of a lookup's probe: answered [0, nil] by every registration.
inline constexpr std::string_view kProbe = "";

// Writes a message frame's head: the array, the type and the time the
// caller still waits (nil: no deadline, or a send). The body comes next.
void begin_message(Encoder& e, std::string_view type, const Deadline* d);
// An error reply frame.
std::string error_frame(Status s, std::string_view type, std::string_view message);
// Checks a reply frame from the name: returns a Decoder positioned at the
// body of an ok reply; throws RemoteError, CallError or DecodeError for the
// others, or DecodeError when the frame itself is malformed.
Decoder open_reply(std::string_view name, std::string_view frame);
// "weft: call to remote 'name' failed: " — the head of a call's messages.
std::string call_failed(std::string_view name);

}  // namespace weft::remote::detail
