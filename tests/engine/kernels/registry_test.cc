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
  // The 19 builtin values of enum OpType (op_type.h); update both together.
  EXPECT_EQ(op_types, 19);
}

TEST(RegistryTest, EveryXcoreOpIsDecodedButHasNoReferenceKernel) {
  for (int value = kFirstXcoreOp; value < kEndXcoreOp; ++value) {
    const auto op = static_cast<OpType>(value);
    const std::string name = OpTypeName(op);
    EXPECT_EQ(name.rfind("XC_", 0), 0u) << value;
    ASSERT_EQ(XcoreOpType(name), op) << name;
    const KernelRegistration* kernel = ReferenceKernel(op);
    ASSERT_NE(kernel, nullptr) << name;
    EXPECT_NE(kernel->prepare, nullptr) << name;
    EXPECT_EQ(kernel->eval, nullptr) << name << ": the chip's arithmetic is not TFLite's";
  }
  EXPECT_FALSE(XcoreOpType("XC_unknown").has_value());
}

}  // namespace
}  // namespace tinyserve
