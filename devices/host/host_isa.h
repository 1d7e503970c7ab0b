// Runtime instruction-set selection for the `host` device. The CPU's features
// are probed once; TINYSERVE_HOST_ISA=portable|avx2|avx512bw|avx512vnni forces
// a target (an error if this CPU or this build cannot run it).
#ifndef TINYSERVE_DEVICES_HOST_HOST_ISA_H_
#define TINYSERVE_DEVICES_HOST_HOST_ISA_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/host/host_kernels.h"

namespace tinyserve {

inline constexpr char kHostIsaEnvVar[] = "TINYSERVE_HOST_ISA";

// The targets this CPU and this build can run, best last ("portable" first).
std::vector<std::string> SupportedHostIsas();

// The target the host device uses now: TINYSERVE_HOST_ISA if set (failing with
// FAILED_PRECONDITION if unsupported here, INVALID_ARGUMENT if unknown), else the
// best supported one.
absl::StatusOr<std::string> SelectedHostIsa();

// The kernels of a supported target.
absl::StatusOr<const host::IsaKernels*> HostIsaKernels(const std::string& isa);

}  // namespace tinyserve

#endif  // TINYSERVE_DEVICES_HOST_HOST_ISA_H_
