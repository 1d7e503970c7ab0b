// Sizes of the wire DataType's elements: one table for the server and the
// client (hand-written, beside the generated code it extends).
#ifndef TINYSERVE_PROTO_TINYSERVE_V1_DATA_TYPE_SIZE_H_
#define TINYSERVE_PROTO_TINYSERVE_V1_DATA_TYPE_SIZE_H_

#include "tinyserve/v1/tinyserve.pb.h"

namespace tinyserve {

// Bytes of one element of a dtype; 0 for DATA_TYPE_UNSPECIFIED (and any value
// this build does not know).
int DataTypeBytes(v1::DataType dtype);

}  // namespace tinyserve

#endif  // TINYSERVE_PROTO_TINYSERVE_V1_DATA_TYPE_SIZE_H_
