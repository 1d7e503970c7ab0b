// Helpers for tests that run the `host` device on each of its dispatch targets
// (ISAs). TINYSERVE_HOST_ISA forces the target; CreateDevice("host") fails when
// the machine (or build) does not support it, and with NOT_FOUND when the build
// has no host device at all.
#ifndef TINYSERVE_TESTS_DEVICES_HOST_ISA_SUPPORT_H_
#define TINYSERVE_TESTS_DEVICES_HOST_ISA_SUPPORT_H_

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "devices/device.h"
#include "devices/device_registry.h"

namespace tinyserve::testing {

// Every dispatch target the host device may offer, worst to best.
inline const std::vector<std::string>& AllHostIsas() {
  static const std::vector<std::string> isas = {"portable", "avx2", "avx512bw", "avx512vnni"};
  return isas;
}

inline constexpr const char kHostIsaEnv[] = "TINYSERVE_HOST_ISA";

// Sets an environment variable for its lifetime, then restores the old value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = std::string(old);
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Whether this build has a host device: NOT_FOUND from CreateDevice("host")
// (with TINYSERVE_HOST_ISA unset) means it has none yet. Returns the status to
// print when it is absent.
inline absl::Status HostDeviceAvailable() {
  std::optional<std::string> old;
  if (const char* v = std::getenv(kHostIsaEnv)) old = std::string(v);
  unsetenv(kHostIsaEnv);
  auto device = CreateDevice("host");
  if (old) setenv(kHostIsaEnv, old->c_str(), 1);
  if (!device.ok() && device.status().code() == absl::StatusCode::kNotFound) {
    return device.status();
  }
  return absl::OkStatus();
}

// The ISAs for which CreateDevice("host") succeeds with TINYSERVE_HOST_ISA set
// to it, worst to best. Prints each one skipped and why.
inline std::vector<std::string> SupportedIsasByProbing() {
  std::vector<std::string> supported;
  for (const std::string& isa : AllHostIsas()) {
    ScopedEnv env(kHostIsaEnv, isa);
    auto device = CreateDevice("host");
    if (device.ok()) {
      supported.push_back(isa);
    } else {
      std::printf("[ host     ] ISA %s skipped: %s\n", isa.c_str(),
                  device.status().ToString().c_str());
    }
  }
  return supported;
}

inline std::string JoinIsas(const std::vector<std::string>& isas) {
  std::string s;
  for (const auto& isa : isas) {
    if (!s.empty()) s += " ";
    s += isa;
  }
  return s;
}

// Copies `inputs` into a session, invokes, and returns every output's bytes.
inline absl::StatusOr<std::vector<std::vector<uint8_t>>> RunSession(
    Session& session, int num_inputs, int num_outputs,
    const std::vector<std::vector<uint8_t>>& inputs) {
  for (int i = 0; i < num_inputs; ++i) {
    const absl::Span<uint8_t> in = session.input(i);
    if (in.size() != inputs[i].size()) {
      return absl::InternalError("input size mismatch");
    }
    std::copy(inputs[i].begin(), inputs[i].end(), in.begin());
  }
  auto stats = session.Invoke(InvokeOptions{});
  if (!stats.ok()) return stats.status();
  std::vector<std::vector<uint8_t>> outputs;
  for (int i = 0; i < num_outputs; ++i) {
    const auto out = session.output(i);
    outputs.emplace_back(out.begin(), out.end());
  }
  return outputs;
}

}  // namespace tinyserve::testing

#endif  // TINYSERVE_TESTS_DEVICES_HOST_ISA_SUPPORT_H_
