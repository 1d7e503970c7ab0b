#include "server/raw_request.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "server/safe_text.h"
#include "server/text_checks.h"

namespace tinyserve::server {
namespace {

using google::protobuf::internal::WireFormatLite;

// The first top-level string field of `type` in the wire data that is not
// valid UTF-8, found before protobuf parses (which would also refuse it, but
// log a line per request: a flood of bad names would flood the log). Reads the
// tags and the string fields only; other fields are skipped, not copied. Data
// it cannot walk is left to the parser to refuse.
absl::Status CheckStringFields(const grpc::ByteBuffer& bytes,
                               const google::protobuf::Descriptor& type) {
  grpc::ByteBuffer copy(bytes);  // shares the slices; the reader consumes its buffer
  grpc::ProtoBufferReader reader(&copy);
  if (!reader.status().ok()) return absl::OkStatus();
  google::protobuf::io::CodedInputStream in(&reader);
  while (true) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return absl::OkStatus();  // the end (or bad data: the parser says)
    switch (WireFormatLite::GetTagWireType(tag)) {
      case WireFormatLite::WIRETYPE_VARINT: {
        uint64_t ignored;
        if (!in.ReadVarint64(&ignored)) return absl::OkStatus();
        break;
      }
      case WireFormatLite::WIRETYPE_FIXED64:
        if (!in.Skip(8)) return absl::OkStatus();
        break;
      case WireFormatLite::WIRETYPE_FIXED32:
        if (!in.Skip(4)) return absl::OkStatus();
        break;
      case WireFormatLite::WIRETYPE_LENGTH_DELIMITED: {
        uint32_t length = 0;
        if (!in.ReadVarint32(&length) || length > static_cast<uint32_t>(INT32_MAX)) {
          return absl::OkStatus();
        }
        const google::protobuf::FieldDescriptor* field =
            type.FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
        if (field == nullptr || field->type() != google::protobuf::FieldDescriptor::TYPE_STRING) {
          if (!in.Skip(static_cast<int>(length))) return absl::OkStatus();
          break;
        }
        std::string value;
        if (!in.ReadString(&value, static_cast<int>(length))) return absl::OkStatus();
        if (const auto bad = FirstInvalidUtf8Offset(value)) {
          return absl::InvalidArgumentError(absl::StrCat("request field '", field->name(),
                                                         "' is not valid UTF-8 (at byte ", *bad,
                                                         "): '", EchoValue(value, 32), "'"));
        }
        break;
      }
      default:
        return absl::OkStatus();  // groups: nothing of ours; the parser decides
    }
  }
}

}  // namespace

absl::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message& request) {
  if (absl::Status bad = CheckStringFields(bytes, *request.GetDescriptor()); !bad.ok()) {
    return bad;
  }
  grpc::ByteBuffer copy(bytes);
  grpc::ProtoBufferReader reader(&copy);
  if (reader.status().ok() && request.ParseFromZeroCopyStream(&reader)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("the request is not a valid ",
                                                 request.GetDescriptor()->full_name(),
                                                 " (malformed protobuf wire data)"));
}

absl::Status SerializeResponse(const google::protobuf::Message& response, grpc::ByteBuffer* out) {
  bool own_buffer = false;
  const grpc::Status status =
      grpc::GenericSerialize<grpc::ProtoBufferWriter, google::protobuf::Message>(response, out,
                                                                                   &own_buffer);
  if (status.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("could not serialize the response: ",
                                          status.error_message()));
}

}  // namespace tinyserve::server
