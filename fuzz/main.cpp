// Replays fuzz inputs through a target without libFuzzer, with any
// compiler: each argument is a file or a directory of files. Fails when
// nothing was replayed (an empty corpus is a broken test, not a pass) and
// when the target turned an input away as over its cap: a committed corpus
// file over the cap is never run, so it tests nothing (minimise the corpus
// with fuzz/run_all.sh --merge-back).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {
int replay(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const std::size_t skipped = mailwire_fuzz::skipped_inputs();
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (mailwire_fuzz::skipped_inputs() != skipped) {
    std::fprintf(stderr, "over the cap of %zu bytes (%zu): %s\n", mailwire_fuzz::max_len, bytes.size(),
                 p.string().c_str());
  }
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  int count = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) count += replay(entry.path());
      }
    } else {
      count += replay(arg);
    }
  }
  std::printf("replayed %d inputs, %zu over the cap\n", count, mailwire_fuzz::skipped_inputs());
  return count > 0 && mailwire_fuzz::skipped_inputs() == 0 ? 0 : 1;
}
