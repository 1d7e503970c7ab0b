// MEAN int8 as TensorFlow Lite Micro computes it (micro/kernels/reduce_common.cc):
//  - input and output quantization differ: QuantizedMeanOrSum (tflite-int8.md §4.14):
//      S = sum of raw q, n = reduced count, (M, shift) = QuantizeMultiplier(s_in / s_out),
//      k = min(floor(log2 n), 32, 31 + shift), M' = ((int64)M << k) / n (truncating),
//      out = clamp(MBQM(S - zp_in * n, M', shift - k) + zp_out);
//  - identical quantization: reference_ops::Mean, raw S / n in C integer
//    division (truncated toward zero).
// Expected values are worked out in the comments.
#include <cmath>

#include "engine/op_type.h"
#include "gtest/gtest.h"
#include "tests/support/model_builder.h"

namespace tinyserve {
namespace {

using testing::FromBytes;
using testing::LoadFails;
using testing::ModelBuilder;
using testing::PerTensor;
using testing::RunReference;
using testing::TensorQuant;
using testing::ToBytes;
using testing::Widen;

std::vector<uint8_t> MeanModel(std::vector<int32_t> in_shape, std::vector<int32_t> axes,
                               std::vector<int32_t> out_shape, bool keep_dims, TensorQuant qi,
                               TensorQuant qo) {
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, in_shape, qi);
  const int axis = b.AddConstant<int32_t>(tflite::TensorType_INT32,
                                          {static_cast<int32_t>(axes.size())}, axes);
  const int out = b.AddOutput(tflite::TensorType_INT8, out_shape, qo);
  tflite::ReducerOptionsT options;
  options.keep_dims = keep_dims;
  b.AddOperator(OpType::kMean, {in, axis}, {out}, options);
  return b.Finish();
}

std::vector<int32_t> RunMean(const std::vector<uint8_t>& model, const std::vector<int8_t>& in) {
  auto outputs = RunReference(model, {ToBytes(in)});
  EXPECT_TRUE(outputs.ok()) << outputs.status();
  if (!outputs.ok()) return {};
  return Widen(FromBytes<int8_t>((*outputs)[0]));
}

TEST(MeanTest, SpatialMeanRoundingAndClamp) {
  // NHWC [1,2,2,6], axes {1,2}, keep_dims: out [1,1,1,6], n = 4.
  // s_in = 0.5, zp_in = 3, s_out = 0.25, zp_out = -1: m = 2 -> M = 2^30, shift = 2;
  // k = min(2, 32, 33) = 2, M' = (2^30 << 2) / 4 = 2^30, shift' = 0:
  // out = SRDHM(S - 12, 2^30) - 1 = (S - 12) / 2 rounded half up, minus 1.
  //   c0 [3,3,3,4]:     S = 13,   1 -> 0.5 -> 1      -> 0
  //   c1 [3,3,3,2]:     S = 11,  -1 -> -0.5 -> 0     -> -1
  //   c2 [127 x4]:      S = 508,  496 -> 248         -> 247 -> 127
  //   c3 [-128 x4]:     S = -512, -524 -> -262       -> -263 -> -128
  //   c4 [5,6,4,2]:     S = 17,   5 -> 2.5 -> 3      -> 2
  //   c5 [0,0,0,-3]:    S = -3,  -15 -> -7.5 -> -7   -> -8
  const auto model = MeanModel({1, 2, 2, 6}, {1, 2}, {1, 1, 1, 6}, true, PerTensor(0.5f, 3),
                               PerTensor(0.25f, -1));
  // Positions (h, w) = (0,0), (0,1), (1,0), (1,1), six channels each.
  EXPECT_EQ(RunMean(model, {3, 3, 127, -128, 5, 0,   //
                            3, 3, 127, -128, 6, 0,   //
                            3, 3, 127, -128, 4, 0,   //
                            4, 2, 127, -128, 2, -3}),
            (std::vector<int32_t>{0, -1, 127, -128, 2, -8}));
}

TEST(MeanTest, CountNotAPowerOfTwoWithDuplicateNegativeAxis) {
  // [4,6], axes {1, -1} (the same axis twice), keep_dims false: out [4], n = 6.
  // s_in = s_out = 1, zp_in = 0, zp_out = 1 (so not the identical-quantization path):
  // m = 1 -> M = 2^30, shift = 1; k = min(floor(log2 6) = 2, 32, 32) = 2;
  // M' = 2^32 / 6 = 715827882 (715827882.67 truncated); shift' = -1.
  // out = RDBPOT(SRDHM(S, 715827882), 1) + 1:
  //   S = 3:    3 * 715827882 = 2147483646; SRDHM = trunc((2147483646 + 2^30) / 2^31)
  //             = trunc(1.49999999907) = 1; RDBPOT(1, 1) = 1 (0.5 away)  -> 2
  //   S = -3:   trunc((-2147483646 + 1 - 2^30) / 2^31) = trunc(-1.4999999995) = -1;
  //             RDBPOT(-1, 1) = -1                                       -> 0
  //   S = 12:   trunc((8589934584 + 2^30) / 2^31) = trunc(4.4999999963) = 4 -> 2 -> 3
  //   S = -768: -768 * 715827882 = -549755813376; + 1 - 2^30 = -550829555199;
  //             / 2^31 = -256.49999976 -> -256; RDBPOT -> -128               -> -127
  const auto model = MeanModel({4, 6}, {1, -1}, {4}, false, PerTensor(1.0f, 0),
                               PerTensor(1.0f, 1));
  EXPECT_EQ(RunMean(model, {1, 1, 1, 0, 0, 0,        //
                            -1, -1, -1, 0, 0, 0,     //
                            2, 2, 2, 2, 2, 2,        //
                            -128, -128, -128, -128, -128, -128}),
            (std::vector<int32_t>{2, 0, 3, -127}));
}

TEST(MeanTest, NonAdjacentAxes) {
  // [2,3,2], axes {0, 2}, keep_dims: out [1,3,1], n = 4; quantization as in the
  // first test: out = round_half_up((S - 12) / 2) - 1.
  //   j = 0: elements (0,0,*), (1,0,*) = 3,3,3,4 -> S = 13 -> 0
  //   j = 1: 3,3,3,2 -> S = 11 -> -1
  //   j = 2: 5,6,4,2 -> S = 17 -> 2
  const auto model = MeanModel({2, 3, 2}, {0, 2}, {1, 3, 1}, true, PerTensor(0.5f, 3),
                               PerTensor(0.25f, -1));
  EXPECT_EQ(RunMean(model, {3, 3, 3, 3, 5, 6,  //  i = 0: j0 {3,3}, j1 {3,3}, j2 {5,6}
                            3, 4, 3, 2, 4, 2}),  // i = 1: j0 {3,4}, j1 {3,2}, j2 {4,2}
            (std::vector<int32_t>{0, -1, 2}));
}

TEST(MeanTest, IdenticalQuantizationTruncatesTheRawMean) {
  // s_in = s_out = 0.5, zp_in = zp_out = 2: TFLite Micro takes the plain
  // integer path, raw S / n truncated toward zero (no zero point, no rounding).
  //   [3, 4]:       7 / 2 = 3    (QuantizedMeanOrSum would give (7-4)/2 = 1.5 -> 2, + 2 = 4)
  //   [-3, -4]:    -7 / 2 = -3
  //   [-128, -127]: -255 / 2 = -127
  //   [127, 126]:  253 / 2 = 126
  const auto model = MeanModel({4, 2}, {1}, {4, 1}, true, PerTensor(0.5f, 2), PerTensor(0.5f, 2));
  EXPECT_EQ(RunMean(model, {3, 4, -3, -4, -128, -127, 127, 126}),
            (std::vector<int32_t>{3, -3, -127, 126}));
}

TEST(MeanTest, AllAxesToAScalar) {
  // [2,2], axes {0,1}, keep_dims false: a scalar (shape []), n = 4.
  // Same quantization as the first test: S = 1+2+3+4 = 10 -> (10 - 12)/2 = -1 -> -2.
  const auto model = MeanModel({2, 2}, {0, 1}, {}, false, PerTensor(0.5f, 3),
                               PerTensor(0.25f, -1));
  EXPECT_EQ(RunMean(model, {1, 2, 3, 4}), (std::vector<int32_t>{-2}));
}

TEST(MeanTest, ExtraPrecisionCappedSoTheShiftStaysAtMinus31) {
  // s_in = 2^-31, s_out = 1: m = 2^-31 -> M = 2^30, shift = -30; n = 4:
  // k = min(2, 32, 31 - 30 = 1) = 1, M' = (2^30 << 1) / 4 = 2^29, shift' = -31.
  // |S - zp_in * n| <= 512, so MBQM = RDBPOT(SRDHM(x, 2^29), 31) = 0: out = zp_out.
  const auto model = MeanModel({2, 4}, {1}, {2}, false, PerTensor(std::ldexp(1.0f, -31), 0),
                               PerTensor(1.0f, 7));
  EXPECT_EQ(RunMean(model, {127, 127, 127, 127, -128, -128, -128, -128}),
            (std::vector<int32_t>{7, 7}));
}

TEST(MeanTest, PrepareRejectsBadModels) {
  const TensorQuant qi = PerTensor(0.5f, 3), qo = PerTensor(0.25f, -1);
  // Output shape inconsistent with keep_dims.
  EXPECT_TRUE(LoadFails(MeanModel({2, 3}, {1}, {2, 1}, false, qi, qo),
                        absl::StatusCode::kInvalidArgument,
                        {"operator #0 MEAN", "output 0", "shape must be [2]"}));
  EXPECT_TRUE(LoadFails(MeanModel({2, 3}, {1}, {2}, true, qi, qo),
                        absl::StatusCode::kInvalidArgument,
                        {"operator #0 MEAN", "shape must be [2,1]"}));
  // Axis out of range.
  EXPECT_TRUE(LoadFails(MeanModel({2, 3}, {2}, {2}, false, qi, qo),
                        absl::StatusCode::kInvalidArgument,
                        {"operator #0 MEAN", "input 1", "axis 2 is out of range"}));
  EXPECT_TRUE(LoadFails(MeanModel({2, 3}, {-3}, {2}, false, qi, qo),
                        absl::StatusCode::kInvalidArgument, {"operator #0 MEAN", "axis -3"}));
  // Axis computed at run time.
  {
    ModelBuilder b;
    const int in = b.AddInput(tflite::TensorType_INT8, {2, 3}, qi);
    const int axis = b.AddInput(tflite::TensorType_INT32, {1});
    const int out = b.AddOutput(tflite::TensorType_INT8, {2}, qo);
    b.AddOperator(OpType::kMean, {in, axis}, {out}, tflite::ReducerOptionsT{});
    EXPECT_TRUE(LoadFails(b.Finish(), absl::StatusCode::kUnimplemented,
                          {"operator #0 MEAN", "must be a constant"}));
  }
  // int16 input.
  {
    ModelBuilder b;
    const int in = b.AddInput(tflite::TensorType_INT16, {2, 3}, qi);
    const int axis = b.AddConstant<int32_t>(tflite::TensorType_INT32, {1}, {1});
    const int out = b.AddOutput(tflite::TensorType_INT16, {2}, qo);
    b.AddOperator(OpType::kMean, {in, axis}, {out}, tflite::ReducerOptionsT{});
    EXPECT_TRUE(LoadFails(b.Finish(), absl::StatusCode::kUnimplemented,
                          {"operator #0 MEAN", "input 0", "expected int8"}));
  }
  // Output not quantized.
  {
    ModelBuilder b;
    const int in = b.AddInput(tflite::TensorType_INT8, {2, 3}, qi);
    const int axis = b.AddConstant<int32_t>(tflite::TensorType_INT32, {1}, {1});
    const int out = b.AddOutput(tflite::TensorType_INT8, {2});
    b.AddOperator(OpType::kMean, {in, axis}, {out}, tflite::ReducerOptionsT{});
    EXPECT_TRUE(LoadFails(b.Finish(), absl::StatusCode::kInvalidArgument,
                          {"operator #0 MEAN", "not quantized"}));
  }
}

}  // namespace
}  // namespace tinyserve
