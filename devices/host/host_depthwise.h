// The `host` device's DEPTHWISE_CONV_2D kernel (depth multiplier 1): compile
// packs the weights and tables for the device's ISA, Eval hands the ISA one
// output row at a time (the 3x3 case has its own inner loop).
#ifndef TINYSERVE_DEVICES_HOST_HOST_DEPTHWISE_H_
#define TINYSERVE_DEVICES_HOST_HOST_DEPTHWISE_H_

#include <memory>
#include <vector>

#include "devices/host/host_kernels.h"
#include "engine/compiled_model.h"
#include "engine/kernels/kernel.h"
#include "engine/model.h"

namespace tinyserve::host {

// {nullptr, nullptr} when the op's shape is one the host kernel does not take
// (the reference kernel runs it then).
BoundKernel CompileDepthwise(const Model& model, const Operator& op, const IsaKernels* isa,
                             std::vector<std::unique_ptr<const OpData>>& owned);

}  // namespace tinyserve::host

#endif  // TINYSERVE_DEVICES_HOST_HOST_DEPTHWISE_H_
