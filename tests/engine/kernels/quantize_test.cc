// QUANTIZE and DEQUANTIZE (tflite-int8.md §4.12).
//  float -> int: q = clamp((int)round(x / s) + zp), float32 division, ties away from zero.
//  int -> int:   q = clamp(MBQM(x - zp_in, M, shift) + zp_out), (M, shift) from s_in / s_out.
//  DEQUANTIZE:   (float)((double)s * (q - zp)).
// Expected values are worked out in the comments.
#include <cmath>
#include <limits>

#include "engine/kernels/quantize.h"
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

std::vector<uint8_t> UnaryModel(OpType op, tflite::TensorType in_type,
                                std::optional<TensorQuant> in_q, tflite::TensorType out_type,
                                std::optional<TensorQuant> out_q, std::vector<int32_t> shape,
                                std::vector<int32_t> out_shape = {}) {
  ModelBuilder b;
  const int in = b.AddInput(in_type, shape, in_q);
  const int out = b.AddOutput(out_type, out_shape.empty() ? shape : out_shape, out_q);
  b.AddOperator(op, {in}, {out});
  return b.Finish();
}

template <typename In, typename Out>
std::vector<Out> RunOp(const std::vector<uint8_t>& model, const std::vector<In>& input) {
  auto outputs = RunReference(model, {ToBytes(input)});
  EXPECT_TRUE(outputs.ok()) << outputs.status();
  if (!outputs.ok()) return {};
  return FromBytes<Out>((*outputs)[0]);
}

template <typename In, typename Out>
std::vector<int32_t> Quantize(tflite::TensorType in_type, std::optional<TensorQuant> in_q,
                              tflite::TensorType out_type, TensorQuant out_q,
                              const std::vector<In>& input) {
  const auto model = UnaryModel(OpType::kQuantize, in_type, in_q, out_type, out_q,
                                {static_cast<int32_t>(input.size())});
  return Widen(RunOp<In, Out>(model, input));
}

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(QuantizeTest, FloatToInt8RoundsHalfAwayFromZero) {
  // s = 0.5, zp = -3: q = round(2x) - 3.
  //   x:     0.25  -0.25  0.75  -0.75  1.25  0.2   0   -0   63   65   100  -100
  //   2x:    0.5   -0.5   1.5   -1.5   2.5   0.4   0   -0   126  130  200  -200
  //   round: 1     -1     2     -2     3     0     0    0   126  130  200  -200
  //   -3:    -2    -4     -1    -5     0     -3    -3  -3   123  127  127  -128 (clamped)
  EXPECT_EQ((Quantize<float, int8_t>(
                tflite::TensorType_FLOAT32, std::nullopt, tflite::TensorType_INT8,
                PerTensor(0.5f, -3),
                {0.25f, -0.25f, 0.75f, -0.75f, 1.25f, 0.2f, 0.0f, -0.0f, 63.0f, 65.0f, 100.0f,
                 -100.0f})),
            (std::vector<int32_t>{-2, -4, -1, -5, 0, -3, -3, -3, 123, 127, 127, -128}));
}

TEST(QuantizeTest, FloatDivisionIsFloat32) {
  // s = 0.1f = 0.100000001490116...: 0.25 / s = 2.4999999627 exactly, which
  // float32 division rounds to 2.5f (the nearest float; 2.5 - 2^-22 is farther),
  // so round() gives 3. In double it would stay below 2.5 and give 2.
  EXPECT_EQ((Quantize<float, int8_t>(tflite::TensorType_FLOAT32, std::nullopt,
                                     tflite::TensorType_INT8, PerTensor(0.1f, 0),
                                     {0.25f, -0.25f})),
            (std::vector<int32_t>{3, -3}));
}

TEST(QuantizeTest, FloatSpecialValuesSaturateAndNaNMapsToZeroPoint) {
  // TFLite's int cast is undefined here; we saturate and map NaN to zp.
  EXPECT_EQ((Quantize<float, int8_t>(tflite::TensorType_FLOAT32, std::nullopt,
                                     tflite::TensorType_INT8, PerTensor(0.5f, -3),
                                     {kNaN, kInf, -kInf, 3e38f, -3e38f, 1e10f, -1e10f})),
            (std::vector<int32_t>{-3, 127, -128, 127, -128, 127, -128}));
  EXPECT_EQ(AffineQuantizeValue(kNaN, 1.0f, 1000, -32768, 32767), 1000);
  EXPECT_EQ(AffineQuantizeValue(kNaN, 1.0f, 200, -128, 127), 127);  // zp beyond range: clamped
}

TEST(QuantizeTest, FloatToInt16AndUint8) {
  // int16, s = 2^-10, zp = 0: q = round(1024 x).
  //   2^-11 -> 0.5 -> 1;  -2^-11 -> -1;  31.99 -> 32757.76 -> 32758;  40 -> 32767;  -40 -> -32768
  EXPECT_EQ((Quantize<float, int16_t>(tflite::TensorType_FLOAT32, std::nullopt,
                                      tflite::TensorType_INT16, PerTensor(1.0f / 1024, 0),
                                      {0.00048828125f, -0.00048828125f, 31.99f, 40.0f, -40.0f})),
            (std::vector<int32_t>{1, -1, 32758, 32767, -32768}));
  // uint8, s = 0.5, zp = 128: q = round(2x) + 128.
  //   0.25 -> 1 -> 129;  -0.25 -> -1 -> 127;  -100 -> -72 -> 0;  100 -> 328 -> 255
  EXPECT_EQ((Quantize<float, uint8_t>(tflite::TensorType_FLOAT32, std::nullopt,
                                      tflite::TensorType_UINT8, PerTensor(0.5f, 128),
                                      {0.25f, -0.25f, -100.0f, 100.0f})),
            (std::vector<int32_t>{129, 127, 0, 255}));
}

TEST(QuantizeTest, Int8ToInt8) {
  // s_in = 0.5, zp_in = 1 -> s_out = 0.25, zp_out = -2: m = 2 -> M = 2^30, shift = 2:
  // MBQM(x') = SRDHM(4x', 2^30) = 2x' exactly; out = 2(x - 1) - 2 = 2x - 4.
  //   x: -128 -1  0  1  2  65  66  127 -> -260(-128) -6 -4 -2 0 126 128(127) 250(127)
  EXPECT_EQ((Quantize<int8_t, int8_t>(tflite::TensorType_INT8, PerTensor(0.5f, 1),
                                      tflite::TensorType_INT8, PerTensor(0.25f, -2),
                                      {-128, -1, 0, 1, 2, 65, 66, 127})),
            (std::vector<int32_t>{-128, -6, -4, -2, 0, 126, 127, 127}));
  // s_in = 0.25 -> s_out = 0.5, zps 0: m = 0.5 -> M = 2^30, shift = 0: a single
  // SRDHM, whose ties go up: -3/2 -> -1, -1/2 -> 0, 1/2 -> 1, 3/2 -> 2.
  EXPECT_EQ((Quantize<int8_t, int8_t>(tflite::TensorType_INT8, PerTensor(0.25f, 0),
                                      tflite::TensorType_INT8, PerTensor(0.5f, 0),
                                      {-3, -1, 1, 3})),
            (std::vector<int32_t>{-1, 0, 1, 2}));
}

TEST(QuantizeTest, Int8AndUint8ShiftBy128) {
  // Equal scales, zero points 0 and 128: out = x + 128 (TFLite's x ^ 0x80 fast path).
  EXPECT_EQ((Quantize<int8_t, uint8_t>(tflite::TensorType_INT8, PerTensor(0.5f, 0),
                                       tflite::TensorType_UINT8, PerTensor(0.5f, 128),
                                       {-128, -1, 0, 127})),
            (std::vector<int32_t>{0, 127, 128, 255}));
  EXPECT_EQ((Quantize<uint8_t, int8_t>(tflite::TensorType_UINT8, PerTensor(0.5f, 128),
                                       tflite::TensorType_INT8, PerTensor(0.5f, 0),
                                       {0, 127, 128, 255})),
            (std::vector<int32_t>{-128, -1, 0, 127}));
}

TEST(QuantizeTest, Int16ToInt8RoundsTwice) {
  // s_in = 2^-12 -> s_out = 2^-7: m = 2^-5 -> M = 2^30, shift = -4:
  // out = RDBPOT(SRDHM(x, 2^30), 4) = (x / 2, ties up) / 16 (ties away).
  //   x = 16: 8 -> 0.5 -> 1;        x = -16: -8 -> -0.5 -> -1
  //   x = 48: 24 -> 1.5 -> 2;       x = -48: -24 -> -1.5 -> -2
  //   x = 15: 7.5 -> 8 -> 0.5 -> 1  (15/32 = 0.47 would round to 0 in one step)
  //   x = -15: -7.5 -> -7 -> -0.44 -> 0
  //   x = 32767: 16383.5 -> 16384 -> 1024 -> 127;  x = -32768: -16384 -> -1024 -> -128
  EXPECT_EQ((Quantize<int16_t, int8_t>(tflite::TensorType_INT16, PerTensor(1.0f / 4096, 0),
                                       tflite::TensorType_INT8, PerTensor(1.0f / 128, 0),
                                       {16, -16, 48, -48, 15, -15, 32767, -32768})),
            (std::vector<int32_t>{1, -1, 2, -2, 1, 0, 127, -128}));
}

TEST(QuantizeTest, Int8ToInt16AndInt32) {
  // s_in = 0.5 -> s_out = 2^-8: m = 128 -> M = 2^30, shift = 8: MBQM = 128 x' exactly.
  // zp_in = -1: x' = x + 1 = -127, 1, 128 -> -16256, 128, 16384.
  EXPECT_EQ((Quantize<int8_t, int16_t>(tflite::TensorType_INT8, PerTensor(0.5f, -1),
                                       tflite::TensorType_INT16, PerTensor(1.0f / 256, 100),
                                       {-128, 0, 127})),
            (std::vector<int32_t>{-16156, 228, 16484}));
  const auto out32 = RunOp<int8_t, int32_t>(
      UnaryModel(OpType::kQuantize, tflite::TensorType_INT8, PerTensor(0.5f, -1),
                 tflite::TensorType_INT32, PerTensor(1.0f / 256, -5), {3}),
      {-128, 0, 127});
  EXPECT_EQ(out32, (std::vector<int32_t>{-16261, 123, 16379}));
}

TEST(QuantizeTest, Int32ToInt8WithRightShiftOf31AndFlush) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  // s_in = 2^-32, s_out = 1: m = 2^-32 -> M = 2^30, shift = -31 (the smallest kept).
  //   x = 2^31 - 1: SRDHM = 2^30 exactly, RDBPOT(2^30, 31) = 1 -> 1 + 3 = 4
  //   x = -2^31:    SRDHM = -2^30,        RDBPOT -> -1       -> 2
  //   x = 2^31 - 2: SRDHM = 2^30 - 1,     RDBPOT -> 0        -> 3
  //   x = -(2^31 - 2): SRDHM = -(2^30 - 1) (ties up), RDBPOT -> 0 -> 3
  const auto kept = RunOp<int32_t, int8_t>(
      UnaryModel(OpType::kQuantize, tflite::TensorType_INT32,
                 PerTensor(std::ldexp(1.0f, -32), 0), tflite::TensorType_INT8,
                 PerTensor(1.0f, 3), {5}),
      {kMax, kMin, kMax - 1, -(kMax - 1), 0});
  EXPECT_EQ(Widen(kept), (std::vector<int32_t>{4, 2, 3, 3, 3}));
  // s_in = 2^-33: m = 2^-33 -> frexp shift -32 < -31 -> M = 0: always zp_out.
  const auto flushed = RunOp<int32_t, int8_t>(
      UnaryModel(OpType::kQuantize, tflite::TensorType_INT32,
                 PerTensor(std::ldexp(1.0f, -33), 0), tflite::TensorType_INT8,
                 PerTensor(1.0f, 3), {2}),
      {kMax, kMin});
  EXPECT_EQ(Widen(flushed), (std::vector<int32_t>{3, 3}));
  // int32 -> int16 with m = 1 (M = 2^30, shift = 1: exact): clamped to int16.
  const auto to16 = RunOp<int32_t, int16_t>(
      UnaryModel(OpType::kQuantize, tflite::TensorType_INT32, PerTensor(1.0f, 0),
                 tflite::TensorType_INT16, PerTensor(1.0f, 0), {3}),
      {40000, -40000, 123});
  EXPECT_EQ(Widen(to16), (std::vector<int32_t>{32767, -32768, 123}));
}

TEST(QuantizeTest, PrepareRejectsBadModels) {
  const TensorQuant q = PerTensor(0.5f, 0);
  // Output not quantized.
  EXPECT_TRUE(LoadFails(UnaryModel(OpType::kQuantize, tflite::TensorType_FLOAT32, std::nullopt,
                                   tflite::TensorType_INT8, std::nullopt, {2}),
                        absl::StatusCode::kInvalidArgument,
                        {"operator #0 QUANTIZE", "output 0", "not quantized"}));
  // Shapes differ.
  EXPECT_TRUE(LoadFails(UnaryModel(OpType::kQuantize, tflite::TensorType_FLOAT32, std::nullopt,
                                   tflite::TensorType_INT8, q, {2}, {3}),
                        absl::StatusCode::kInvalidArgument, {"operator #0 QUANTIZE", "shape"}));
  // Pairs TFLite Micro does not run.
  EXPECT_TRUE(LoadFails(UnaryModel(OpType::kQuantize, tflite::TensorType_UINT8, q,
                                   tflite::TensorType_UINT8, q, {2}),
                        absl::StatusCode::kUnimplemented,
                        {"operator #0 QUANTIZE", "uint8 -> uint8"}));
  EXPECT_TRUE(LoadFails(UnaryModel(OpType::kQuantize, tflite::TensorType_INT32, q,
                                   tflite::TensorType_INT32, q, {2}),
                        absl::StatusCode::kUnimplemented, {"operator #0 QUANTIZE"}));
  EXPECT_TRUE(LoadFails(UnaryModel(OpType::kQuantize, tflite::TensorType_FLOAT32, std::nullopt,
                                   tflite::TensorType_INT32, q, {2}),
                        absl::StatusCode::kUnimplemented,
                        {"operator #0 QUANTIZE", "float32 -> int32"}));
  // Integer input without quantization.
  EXPECT_TRUE(LoadFails(UnaryModel(OpType::kQuantize, tflite::TensorType_INT8, std::nullopt,
                                   tflite::TensorType_INT8, q, {2}),
                        absl::StatusCode::kInvalidArgument,
                        {"operator #0 QUANTIZE", "input 0", "not quantized"}));
}

TEST(DequantizeTest, AllInputTypes) {
  // int8, s = 0.5, zp = -3: 0.5 * (q + 3).
  const auto i8 = RunOp<int8_t, float>(UnaryModel(OpType::kDequantize, tflite::TensorType_INT8,
                                                PerTensor(0.5f, -3), tflite::TensorType_FLOAT32,
                                                std::nullopt, {4}),
                                     {-128, -3, 0, 127});
  EXPECT_EQ(i8, (std::vector<float>{-62.5f, 0.0f, 1.5f, 65.0f}));
  // uint8, s = 0.25, zp = 128.
  const auto u8 = RunOp<uint8_t, float>(UnaryModel(OpType::kDequantize, tflite::TensorType_UINT8,
                                                 PerTensor(0.25f, 128),
                                                 tflite::TensorType_FLOAT32, std::nullopt, {3}),
                                      {0, 128, 255});
  EXPECT_EQ(u8, (std::vector<float>{-32.0f, 0.0f, 31.75f}));
  // int16, s = 2^-10, zp = 0.
  const auto i16 = RunOp<int16_t, float>(UnaryModel(OpType::kDequantize, tflite::TensorType_INT16,
                                                  PerTensor(1.0f / 1024, 0),
                                                  tflite::TensorType_FLOAT32, std::nullopt, {3}),
                                       {-32768, 1, 32767});
  EXPECT_EQ(i16, (std::vector<float>{-32.0f, 0.0009765625f, 31.9990234375f}));
  // s = 0.1f, q = 3: (double)0.1f * 3 = 0.300000004470348..., whose nearest
  // float is 0.3f = 0.300000011920929 (the float below, 0.29999998212, is
  // farther). q = -7: -0.700000010430813 -> nearest float is -0.7f.
  const auto tenths = RunOp<int8_t, float>(UnaryModel(OpType::kDequantize,
                                                    tflite::TensorType_INT8, PerTensor(0.1f, 0),
                                                    tflite::TensorType_FLOAT32, std::nullopt,
                                                    {2}),
                                         {3, -7});
  EXPECT_EQ(tenths, (std::vector<float>{0.3f, -0.7f}));
}

TEST(DequantizeTest, PrepareRejectsBadModels) {
  EXPECT_TRUE(LoadFails(UnaryModel(OpType::kDequantize, tflite::TensorType_INT32,
                                   PerTensor(1.0f, 0), tflite::TensorType_FLOAT32, std::nullopt,
                                   {2}),
                        absl::StatusCode::kUnimplemented, {"operator #0 DEQUANTIZE", "input 0"}));
  EXPECT_TRUE(LoadFails(UnaryModel(OpType::kDequantize, tflite::TensorType_INT8,
                                   PerTensor(1.0f, 0), tflite::TensorType_INT8,
                                   PerTensor(1.0f, 0), {2}),
                        absl::StatusCode::kUnimplemented,
                        {"operator #0 DEQUANTIZE", "expected float32"}));
  EXPECT_TRUE(LoadFails(UnaryModel(OpType::kDequantize, tflite::TensorType_INT8, std::nullopt,
                                   tflite::TensorType_FLOAT32, std::nullopt, {2}),
                        absl::StatusCode::kInvalidArgument,
                        {"operator #0 DEQUANTIZE", "not quantized"}));
  EXPECT_TRUE(LoadFails(UnaryModel(OpType::kDequantize, tflite::TensorType_INT8,
                                   PerTensor(1.0f, 0), tflite::TensorType_FLOAT32, std::nullopt,
                                   {2}, {1, 2}),
                        absl::StatusCode::kInvalidArgument, {"operator #0 DEQUANTIZE", "shape"}));
}

}  // namespace
}  // namespace tinyserve
