// Prepare functions of XMOS's custom operators (the XC_* ops xcore-opt
// writes). Each decodes its op's flexbuffer options and packed tensors,
// validates them against the graph and returns the op's data for the devices
// that run XMOS ops (xs3). No reference kernel runs them (their eval is
// nullptr in the registry): their arithmetic is the chip's, not TFLite's.
#ifndef TINYSERVE_ENGINE_XCORE_OPS_XCORE_OPS_H_
#define TINYSERVE_ENGINE_XCORE_OPS_XCORE_OPS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "engine/kernels/kernel.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcConv2dV2(const PrepareContext& ctx);
absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcPad(const PrepareContext& ctx);
absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcPad3To4(const PrepareContext& ctx);
absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcPad1To4(const PrepareContext& ctx);
absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcSlice(const PrepareContext& ctx);
absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcNoOp(const PrepareContext& ctx);
absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcAdd(const PrepareContext& ctx);
absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcLookup(const PrepareContext& ctx);
absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcSoftmax(const PrepareContext& ctx);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_XCORE_OPS_XCORE_OPS_H_
