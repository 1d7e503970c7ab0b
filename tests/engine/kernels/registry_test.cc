// Every op the engine accepts has a reference kernel.
#include "engine/kernels/kernel.h"
#include "engine/op_type.h"
#include "gtest/gtest.h"

namespace tinyserve {
namespace {

TEST(RegistryTest, EveryOpTypeHasAReferenceKernel) {
  // OpType values are builtin codes; SupportedOpType enumerates them.
  int op_types = 0;
  for (int code = 0; code < 256; ++code) {
    const auto op = SupportedOpType(code, 1);
    if (!op.has_value()) continue;
    ++op_types;
    const KernelRegistration* kernel = ReferenceKernel(*op);
    ASSERT_NE(kernel, nullptr) << "no reference kernel for " << OpTypeName(*op);
    EXPECT_EQ(kernel->op, *op);
    EXPECT_NE(kernel->prepare, nullptr) << OpTypeName(*op);
    EXPECT_NE(kernel->eval, nullptr) << OpTypeName(*op);
  }
  // The 19 values of enum OpType (op_type.h); update both together.
  EXPECT_EQ(op_types, 19);
}

}  // namespace
}  // namespace tinyserve
