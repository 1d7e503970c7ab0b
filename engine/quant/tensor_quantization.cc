#include "engine/quant/tensor_quantization.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"

namespace tinyserve {
namespace {

template <typename T>
T Load(absl::Span<const uint8_t> bytes, int64_t i) {
  T v;
  std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
  return v;
}

}  // namespace

int32_t QuantizedValue(const TensorInfo& tensor, absl::Span<const uint8_t> bytes, int64_t i) {
  switch (tensor.type) {
    case DataType::kInt8: return Load<int8_t>(bytes, i);
    case DataType::kUInt8: return Load<uint8_t>(bytes, i);
    case DataType::kInt16: return Load<int16_t>(bytes, i);
    case DataType::kInt32: return Load<int32_t>(bytes, i);
    default: return 0;
  }
}

absl::StatusOr<InputQuantizationReport> QuantizeInput(const TensorInfo& tensor,
                                                      absl::Span<const float> values,
                                                      absl::Span<uint8_t> out) {
  if (tensor.type != DataType::kInt8 && tensor.type != DataType::kUInt8 &&
      tensor.type != DataType::kInt16) {
    return absl::UnimplementedError(absl::StrCat("cannot quantize float input into a ",
                                                 DataTypeName(tensor.type), " tensor"));
  }
  if (tensor.quantization.scales.size() != 1) {
    return absl::UnimplementedError("float input needs a per-tensor quantized input tensor");
  }
  if (static_cast<int64_t>(values.size()) != tensor.num_elements()) {
    return absl::InvalidArgumentError(absl::StrCat("float input has ", values.size(),
                                                   " values, the input tensor needs ",
                                                   tensor.num_elements()));
  }
  if (out.size() != tensor.bytes) {
    return absl::InternalError("quantization buffer size mismatch");
  }
  const float scale = tensor.quantization.scale();
  const int32_t zp = tensor.quantization.zero_point();
  const float qmin = static_cast<float>(DataTypeMin(tensor.type));
  const float qmax = static_cast<float>(DataTypeMax(tensor.type));
  InputQuantizationReport report;
  double signal = 0.0, noise = 0.0;
  for (size_t i = 0; i < values.size(); ++i) {
    const float x = values[i];
    int32_t q;
    if (std::isnan(x)) {
      q = zp;
    } else {
      // Saturate in float before converting, so no value overflows int32.
      const float unclamped = std::round(x / scale) + static_cast<float>(zp);
      if (unclamped < qmin || unclamped > qmax) ++report.clipped;
      q = static_cast<int32_t>(std::min(qmax, std::max(qmin, unclamped)));
    }
    // The float32 value the quantized element stands for (as DEQUANTIZE gives it).
    const double real = static_cast<float>(static_cast<double>(scale) * (q - zp));
    signal += static_cast<double>(x) * x;
    noise += (x - real) * (x - real);
    switch (tensor.type) {
      case DataType::kInt8: out[i] = static_cast<uint8_t>(static_cast<int8_t>(q)); break;
      case DataType::kUInt8: out[i] = static_cast<uint8_t>(q); break;
      default: {
        const auto v = static_cast<int16_t>(q);
        std::memcpy(out.data() + 2 * i, &v, 2);
      }
    }
  }
  report.sqnr_db = noise == 0.0 ? std::numeric_limits<double>::infinity()
                                : 10.0 * std::log10(signal / noise);
  return report;
}

namespace {

// The element loops of Dequantize and CountAtRails, one per element type:
// they run on every output of every request.
template <typename T>
void DequantizeAs(absl::Span<const uint8_t> bytes, const Quantization& q, int64_t inner,
                  absl::Span<float> values) {
  const int64_t n = static_cast<int64_t>(values.size());
  if (q.empty()) {
    for (int64_t i = 0; i < n; ++i) values[i] = static_cast<float>(Load<T>(bytes, i));
    return;
  }
  const int64_t channels = static_cast<int64_t>(q.scales.size());
  if (channels == 1) {
    const double scale = q.scales[0];
    const int64_t zp = q.zero_points[0];
    for (int64_t i = 0; i < n; ++i) {
      values[i] = static_cast<float>(scale * static_cast<double>(Load<T>(bytes, i) - zp));
    }
    return;
  }
  // Per-channel: the channel of element i along quantized_dimension.
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = (i / inner) % channels;
    values[i] = static_cast<float>(static_cast<double>(q.scales[c]) *
                                   static_cast<double>(Load<T>(bytes, i) - q.zero_points[c]));
  }
}

template <typename T>
int64_t CountAtRailsAs(absl::Span<const uint8_t> bytes, int64_t n) {
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T v = Load<T>(bytes, i);
    count += (v == std::numeric_limits<T>::min() || v == std::numeric_limits<T>::max()) ? 1 : 0;
  }
  return count;
}

}  // namespace

std::vector<float> Dequantize(const TensorInfo& tensor, absl::Span<const uint8_t> bytes) {
  const int64_t n = tensor.num_elements();
  std::vector<float> values(n);
  if (tensor.type == DataType::kFloat32) {
    std::memcpy(values.data(), bytes.data(), n * sizeof(float));
    return values;
  }
  const Quantization& q = tensor.quantization;
  int64_t inner = 1;
  for (int d = q.quantized_dimension + 1; d < tensor.rank(); ++d) inner *= tensor.shape[d];
  const absl::Span<float> out = absl::MakeSpan(values);
  switch (tensor.type) {
    case DataType::kInt8: DequantizeAs<int8_t>(bytes, q, inner, out); break;
    case DataType::kUInt8: DequantizeAs<uint8_t>(bytes, q, inner, out); break;
    case DataType::kInt16: DequantizeAs<int16_t>(bytes, q, inner, out); break;
    case DataType::kInt32: DequantizeAs<int32_t>(bytes, q, inner, out); break;
    default: break;  // not an integer type: zeros
  }
  return values;
}

int64_t CountAtRails(const TensorInfo& tensor, absl::Span<const uint8_t> bytes) {
  const int64_t n = tensor.num_elements();
  switch (tensor.type) {
    case DataType::kInt8: return CountAtRailsAs<int8_t>(bytes, n);
    case DataType::kUInt8: return CountAtRailsAs<uint8_t>(bytes, n);
    case DataType::kInt16: return CountAtRailsAs<int16_t>(bytes, n);
    case DataType::kInt32: return CountAtRailsAs<int32_t>(bytes, n);
    default: return 0;
  }
}

}  // namespace tinyserve
