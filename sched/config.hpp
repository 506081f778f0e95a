#pragma once
// The first thing every weft header checks: weft is C++20 (concepts,
// std::span, designated initialisers). Without it the compile stops here,
// with one message, instead of at the first C++20 construct of some header.

#if !defined(__cplusplus) || __cplusplus < 202002L
#error "weft needs C++20: compile with -std=c++20 (or gnu++20, or later)"
// #error alone lets the compiler go on into weft's headers; a missing include
// is fatal, so nothing follows the message above.
#include <weft: compilation stopped, see the #error above>
#endif
