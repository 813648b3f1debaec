// What every example program's command line answers the same way, whatever
// else the program links (the MIME programs need no transport): --version.
// Header-only, so that mailwire-mime-dump, mailwire-compose and the demo
// share it with the network programs (program.hpp's arguments calls it).
#ifndef MAILWIRE_EXAMPLES_CLI_HPP
#define MAILWIRE_EXAMPLES_CLI_HPP

#include <mailwire/version.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace mailwire_example {

/// The program's name: the last component of argv[0].
inline const char* program_name(const char* argv0) {
  const char* slash = std::strrchr(argv0, '/');
  return slash != nullptr ? slash + 1 : argv0;
}

/// When `arg` is --version: prints "NAME (mailwire) X.Y.Z" on stdout (the
/// version of the headers it was built with, version.hpp) and exits 0.
inline void version_option(const char* arg, const char* argv0) {
  if (std::strcmp(arg, "--version") != 0) return;
  std::printf("%s (mailwire) %s\n", program_name(argv0), mailwire::version.string);
  std::exit(0);
}

}  // namespace mailwire_example

#endif  // MAILWIRE_EXAMPLES_CLI_HPP
