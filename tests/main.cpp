#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
// weft handles SIGINT/SIGTERM in dispatch() and SIGSEGV for stack overflows;
// doctest's own crash handlers would take those signals over.
#define DOCTEST_CONFIG_NO_POSIX_SIGNALS
#if __has_include(<doctest/doctest.h>)
#include <doctest/doctest.h>
#else
#include <doctest.h>
#endif
