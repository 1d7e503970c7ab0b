#include "engine/types.h"

#include <limits>

namespace tinyserve {

std::optional<DataType> DataTypeFromTflite(int tflite_type) {
  switch (tflite_type) {
    case 0: return DataType::kFloat32;
    case 2: return DataType::kInt32;
    case 3: return DataType::kUInt8;
    case 4: return DataType::kInt64;
    case 6: return DataType::kBool;
    case 7: return DataType::kInt16;
    case 9: return DataType::kInt8;
    default: return std::nullopt;
  }
}

absl::string_view TfliteTypeName(int tflite_type) {
  static constexpr absl::string_view kNames[] = {
      "FLOAT32", "FLOAT16",    "INT32",  "UINT8",    "INT64",    "STRING",
      "BOOL",    "INT16",      "COMPLEX64", "INT8",  "FLOAT64",  "COMPLEX128",
      "UINT64",  "RESOURCE",   "VARIANT", "UINT32",  "UINT16",   "INT4",
      "BFLOAT16"};
  if (tflite_type < 0 || tflite_type >= static_cast<int>(std::size(kNames))) {
    return "UNKNOWN";
  }
  return kNames[tflite_type];
}

absl::string_view DataTypeName(DataType type) {
  switch (type) {
    case DataType::kFloat32: return "float32";
    case DataType::kInt32: return "int32";
    case DataType::kUInt8: return "uint8";
    case DataType::kInt64: return "int64";
    case DataType::kBool: return "bool";
    case DataType::kInt16: return "int16";
    case DataType::kInt8: return "int8";
  }
  return "unknown";
}

size_t DataTypeSize(DataType type) {
  switch (type) {
    case DataType::kFloat32: return 4;
    case DataType::kInt32: return 4;
    case DataType::kUInt8: return 1;
    case DataType::kInt64: return 8;
    case DataType::kBool: return 1;
    case DataType::kInt16: return 2;
    case DataType::kInt8: return 1;
  }
  return 0;
}

int32_t DataTypeMin(DataType type) {
  switch (type) {
    case DataType::kInt8: return std::numeric_limits<int8_t>::min();
    case DataType::kUInt8: return 0;
    case DataType::kInt16: return std::numeric_limits<int16_t>::min();
    default: return std::numeric_limits<int32_t>::min();
  }
}

int32_t DataTypeMax(DataType type) {
  switch (type) {
    case DataType::kInt8: return std::numeric_limits<int8_t>::max();
    case DataType::kUInt8: return std::numeric_limits<uint8_t>::max();
    case DataType::kInt16: return std::numeric_limits<int16_t>::max();
    default: return std::numeric_limits<int32_t>::max();
  }
}

}  // namespace tinyserve
