// scalar_scope: forces the scalar path (cpu::force_scalar) for a scope and
// restores the previous setting, for tests that compare the vector kernels
// with the scalar reference.
#ifndef MAILWIRE_TESTS_SUPPORT_SCALAR_SCOPE_HPP
#define MAILWIRE_TESTS_SUPPORT_SCALAR_SCOPE_HPP

#include <mailwire/core/cpu.hpp>

namespace mailwire_test {

class scalar_scope {
 public:
  explicit scalar_scope(bool on) noexcept : was_(mailwire::cpu::scalar_forced()) { mailwire::cpu::force_scalar(on); }
  ~scalar_scope() { mailwire::cpu::force_scalar(was_); }
  scalar_scope(const scalar_scope&) = delete;
  scalar_scope& operator=(const scalar_scope&) = delete;

 private:
  bool was_;
};

}  // namespace mailwire_test

#endif  // MAILWIRE_TESTS_SUPPORT_SCALAR_SCOPE_HPP
