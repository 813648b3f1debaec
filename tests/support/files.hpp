// Test data on disk: a whole file as bytes, and the directories of test
// messages (the project's vectors and, where it sits beside the checkout,
// the workspace's shared corpus).
#ifndef MAILWIRE_TESTS_SUPPORT_FILES_HPP
#define MAILWIRE_TESTS_SUPPORT_FILES_HPP

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace mailwire_test {

/// The bytes of the file at `path`, or "" when it cannot be opened.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

#if defined(MAILWIRE_VECTORS_DIR)
/// tests/vectors, and ../shared/corpus when it is there: the roots a test
/// walks to run a kernel over every message the project knows.
inline std::vector<std::filesystem::path> message_roots() {
  namespace fs = std::filesystem;
  std::vector<fs::path> roots{fs::path(MAILWIRE_VECTORS_DIR)};
  const fs::path shared = fs::path(MAILWIRE_VECTORS_DIR) / ".." / ".." / ".." / "shared" / "corpus";
  if (fs::is_directory(shared)) roots.push_back(shared);
  return roots;
}
#endif

}  // namespace mailwire_test

#endif
