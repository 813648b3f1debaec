// mailwire: the library's version, the only place it is written down.
// CMakeLists.txt, the pkg-config file and the vcpkg port read it from here.
#ifndef MAILWIRE_VERSION_HPP
#define MAILWIRE_VERSION_HPP

#define MAILWIRE_VERSION_MAJOR 0
#define MAILWIRE_VERSION_MINOR 1
#define MAILWIRE_VERSION_PATCH 0
#define MAILWIRE_VERSION_STRING "0.1.0"

/// One integer that orders versions: major * 10000 + minor * 100 + patch.
#define MAILWIRE_VERSION \
  (MAILWIRE_VERSION_MAJOR * 10000 + MAILWIRE_VERSION_MINOR * 100 + MAILWIRE_VERSION_PATCH)

namespace mailwire {
inline namespace v0 {

/// The version of the headers in use, as numbers and as "major.minor.patch".
struct version_info {
  int major;           ///< MAILWIRE_VERSION_MAJOR: incompatible API changes
  int minor;           ///< MAILWIRE_VERSION_MINOR: additions
  int patch;           ///< MAILWIRE_VERSION_PATCH: fixes
  const char* string;  ///< MAILWIRE_VERSION_STRING, "major.minor.patch"
};

inline constexpr version_info version{MAILWIRE_VERSION_MAJOR, MAILWIRE_VERSION_MINOR,
                                      MAILWIRE_VERSION_PATCH, MAILWIRE_VERSION_STRING};

}  // namespace v0
}  // namespace mailwire

#endif  // MAILWIRE_VERSION_HPP
