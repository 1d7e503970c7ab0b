#include "tinyserve/v1/data_type_size.h"

namespace tinyserve {

int DataTypeBytes(v1::DataType dtype) {
  switch (dtype) {
    case v1::INT8:
    case v1::UINT8:
    case v1::BOOL:
      return 1;
    case v1::INT16:
      return 2;
    case v1::INT32:
    case v1::FLOAT32:
      return 4;
    case v1::INT64:
      return 8;
    default:
      return 0;
  }
}

}  // namespace tinyserve
