// Element types of tensors and their sizes.
#ifndef TINYSERVE_ENGINE_TYPES_H_
#define TINYSERVE_ENGINE_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include "absl/strings/string_view.h"

namespace tinyserve {

// Values match TFLite's TensorType so a schema value maps 1:1; only the types
// the engine can hold in memory are listed.
enum class DataType : int8_t {
  kFloat32 = 0,
  kInt32 = 2,
  kUInt8 = 3,
  kInt64 = 4,
  kBool = 6,
  kInt16 = 7,
  kInt8 = 9,
};

// The DataType for a TFLite TensorType value, or nullopt for types we do not run
// (float16, string, complex, ...).
std::optional<DataType> DataTypeFromTflite(int tflite_type);

// Name of a TFLite TensorType value ("INT8", "FLOAT16", ...), for messages.
absl::string_view TfliteTypeName(int tflite_type);

absl::string_view DataTypeName(DataType type);  // "int8", "float32", ...
size_t DataTypeSize(DataType type);

// Inclusive value range of an integer type (int8: -128..127).
int32_t DataTypeMin(DataType type);
int32_t DataTypeMax(DataType type);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_TYPES_H_
