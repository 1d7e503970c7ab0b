#include "server/proto_conversion.h"

namespace tinyserve::server {

v1::DataType ToProto(DataType type) {
  switch (type) {
    case DataType::kInt8: return v1::INT8;
    case DataType::kUInt8: return v1::UINT8;
    case DataType::kInt16: return v1::INT16;
    case DataType::kInt32: return v1::INT32;
    case DataType::kFloat32: return v1::FLOAT32;
    case DataType::kInt64: return v1::INT64;
    case DataType::kBool: return v1::BOOL;
  }
  return v1::DATA_TYPE_UNSPECIFIED;
}

void FillTensorSpec(const TensorInfo& tensor, v1::TensorSpec* spec) {
  spec->set_name(tensor.name);
  spec->set_dtype(ToProto(tensor.type));
  for (int32_t d : tensor.shape) spec->add_shape(d);
  for (float s : tensor.quantization.scales) spec->add_scale(s);
  for (int64_t z : tensor.quantization.zero_points) spec->add_zero_point(z);
  spec->set_quantized_dimension(tensor.quantization.quantized_dimension);
}

}  // namespace tinyserve::server
