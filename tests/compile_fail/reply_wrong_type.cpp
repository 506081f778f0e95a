// reply<Req>(value) with a value that is not Req's reply type.
// expect: reply<Req>(value): the value must convert to Req::reply
#include <string>

#include "mailbox/message.hpp"

struct Stats {
  using reply = int;
};

void answer(weft::Message& m) {
#ifdef WEFT_CONTROL
  m.reply<Stats>(42);
#else
  m.reply<Stats>(std::string("42"));
#endif
}
