#include "server/proto_conversion.h"

#include <string>
#include <vector>

#include "server/safe_text.h"
#include "server/text_checks.h"

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
  spec->set_name(ValidUtf8(tensor.name));  // from the model file: any bytes
  spec->set_dtype(ToProto(tensor.type));
  for (int32_t d : tensor.shape) spec->add_shape(d);
  for (float s : tensor.quantization.scales) spec->add_scale(s);
  for (int64_t z : tensor.quantization.zero_points) spec->add_zero_point(z);
  spec->set_quantized_dimension(tensor.quantization.quantized_dimension);
}

void MakeStringsValidUtf8(google::protobuf::Message& message) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
          std::string scratch;
          const std::string& value =
              reflection.GetRepeatedStringReference(message, field, i, &scratch);
          if (!IsValidUtf8(value)) {
            reflection.SetRepeatedString(&message, field, i, ValidUtf8(value));
          }
        }
      } else {
        const std::string value = reflection.GetString(message, field);
        if (!IsValidUtf8(value)) reflection.SetString(&message, field, ValidUtf8(value));
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
          MakeStringsValidUtf8(*reflection.MutableRepeatedMessage(&message, field, i));
        }
      } else {
        MakeStringsValidUtf8(*reflection.MutableMessage(&message, field));
      }
    }
  }
}

}  // namespace tinyserve::server
