#include "devices/host/host_isa.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tinyserve {
namespace {

constexpr const char* kAllIsas[] = {"portable", "avx2", "avx512bw", "avx512vnni"};

bool Built(const std::string& isa) {
  if (isa == "portable") return true;
#if defined(TINYSERVE_HOST_X86)
  if (isa == "avx2" || isa == "avx512bw" || isa == "avx512vnni") return true;
#endif
  return false;
}

bool CpuHas(const std::string& isa) {
  if (isa == "portable") return true;
#if defined(__x86_64__) || defined(__i386__)
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  static const bool avx512bw =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  static const bool vnni = avx512bw && __builtin_cpu_supports("avx512vnni");
  if (isa == "avx2") return avx2;
  if (isa == "avx512bw") return avx512bw;
  if (isa == "avx512vnni") return vnni;
#endif
  return false;
}

}  // namespace

std::vector<std::string> SupportedHostIsas() {
  std::vector<std::string> isas;
  for (const char* isa : kAllIsas) {
    if (Built(isa) && CpuHas(isa)) isas.push_back(isa);
  }
  return isas;
}

absl::StatusOr<std::string> SelectedHostIsa() {
  const char* forced = std::getenv(kHostIsaEnvVar);
  const std::vector<std::string> supported = SupportedHostIsas();
  if (forced == nullptr || *forced == '\0') return supported.back();
  const std::string isa = forced;
  if (std::find(std::begin(kAllIsas), std::end(kAllIsas), isa) == std::end(kAllIsas)) {
    return absl::InvalidArgumentError(
        absl::StrCat(kHostIsaEnvVar, "='", isa, "' is not a host target (known: ",
                     absl::StrJoin(kAllIsas, ", "), ")"));
  }
  if (!Built(isa)) {
    return absl::FailedPreconditionError(
        absl::StrCat(kHostIsaEnvVar, "='", isa, "': this build has no ", isa,
                     " kernels (supported here: ", absl::StrJoin(supported, ", "), ")"));
  }
  if (!CpuHas(isa)) {
    return absl::FailedPreconditionError(
        absl::StrCat(kHostIsaEnvVar, "='", isa, "': this CPU does not support ", isa,
                     " (supported here: ", absl::StrJoin(supported, ", "), ")"));
  }
  return isa;
}

absl::StatusOr<const host::IsaKernels*> HostIsaKernels(const std::string& isa) {
  if (!Built(isa) || !CpuHas(isa)) {
    return absl::FailedPreconditionError(absl::StrCat("host target '", isa,
                                                      "' is not supported here"));
  }
  if (isa == "portable") return &host::PortableKernels();
#if defined(TINYSERVE_HOST_X86)
  if (isa == "avx2") return &host::Avx2Kernels();
  if (isa == "avx512bw") return &host::Avx512bwKernels();
  if (isa == "avx512vnni") return &host::Avx512vnniKernels();
#endif
  return absl::FailedPreconditionError(absl::StrCat("host target '", isa, "' is not built"));
}

}  // namespace tinyserve
