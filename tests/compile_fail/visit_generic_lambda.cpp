// Message::visit with a generic lambda: a static_assert says what to write.
// expect: Message::visit needs handlers of one parameter of a named type
#include "mailbox/message.hpp"

struct Ping {};

bool handle(weft::Message& m) {
#ifdef WEFT_CONTROL
  return m.visit([](Ping&) {}, [](weft::Message&) {});
#else
  return m.visit([](Ping&) {}, [](auto&) {});
#endif
}
