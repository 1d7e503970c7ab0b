#include "devices/xcore/io_server_link.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "devices/xcore/io_server_protocol.h"

namespace tinyserve::xcore {
namespace {

using Clock = std::chrono::steady_clock;

int64_t Nanos(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

// Runs the transfers of one exchange, keeping the figures and turning a
// transport error into the exchange's status.
class Exchange {
 public:
  Exchange(BoardTransport& transport, const ExchangeLimits& limits)
      : transport_(transport), limits_(limits) {}

  // A command: a failure where the board took none of it leaves the board
  // waiting for a command, i.e. still in step.
  absl::Status Command(IoServerCommand command, int model_index, int tensor_index,
                       const std::string& what) {
    const CommandPacket packet = EncodeCommand(command, static_cast<uint8_t>(model_index),
                                               static_cast<uint8_t>(tensor_index));
    return Out(packet, limits_.timeouts.command, what, /*is_command=*/true);
  }

  absl::Status Data(absl::Span<const uint8_t> bytes, const std::string& what) {
    return Out(bytes, limits_.timeouts.data, what, /*is_command=*/false);
  }

  // Reads one output: IN until a short packet, `padded` bytes expected.
  absl::Status Read(absl::Span<uint8_t> out, size_t padded, const std::string& what) {
    // Room for one more packet than expected, so the expected data phase ends
    // in a short packet (or ZLP) inside the buffer and a longer one shows as
    // a full buffer.
    buffer_.resize((padded / kMaxPacketBytes + 1) * kMaxPacketBytes);
    bool request_deadline = false;
    const TransferLimits transfer = Limits(limits_.timeouts.read, request_deadline);
    ++result_.link.transfers;
    absl::StatusOr<size_t> got = transport_.BulkIn(absl::MakeSpan(buffer_), transfer);
    if (!got.ok()) {
      result_.in_step = false;
      return Failed(got.status(), what, limits_.timeouts.read, request_deadline);
    }
    result_.link.bytes_in += static_cast<int64_t>(*got);
    if (*got != padded) {
      result_.in_step = false;
      const bool longer = *got == buffer_.size();
      return absl::UnavailableError(absl::StrCat(
          what, ": the board sent ", longer ? "more than " : "", *got, " bytes, expected ",
          padded, " (", out.size(), " bytes padded to 32-bit words): the board is not running "
          "the model the host expects, or the link corrupted the reply"));
    }
    std::copy_n(buffer_.begin(), out.size(), out.begin());
    return absl::OkStatus();
  }

  ExchangeResult& result() { return result_; }

 private:
  // The transfer's own timeout, cut short by the request's deadline.
  TransferLimits Limits(std::chrono::milliseconds timeout, bool& request_deadline) const {
    const Clock::time_point now = Clock::now();
    const Clock::time_point own = now + timeout;
    request_deadline = limits_.deadline <= own;
    return TransferLimits{request_deadline ? limits_.deadline : own, limits_.cancelled};
  }

  absl::Status Out(absl::Span<const uint8_t> bytes, std::chrono::milliseconds timeout,
                   const std::string& what, bool is_command) {
    bool request_deadline = false;
    const TransferLimits transfer = Limits(timeout, request_deadline);
    size_t sent = 0;
    ++result_.link.transfers;
    const absl::Status status = transport_.BulkOut(bytes, transfer, &sent);
    result_.link.bytes_out += static_cast<int64_t>(status.ok() ? bytes.size() : sent);
    if (status.ok()) return status;
    if (!is_command || sent != 0) result_.in_step = false;
    return Failed(status, what, timeout, request_deadline);
  }

  // The request's own limits keep their codes; a transfer's own timeout means
  // the board is not answering: UNAVAILABLE.
  absl::Status Failed(const absl::Status& status, const std::string& what,
                      std::chrono::milliseconds timeout, bool request_deadline) const {
    if (status.code() == absl::StatusCode::kDeadlineExceeded) {
      if (request_deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("the request's deadline passed during ", what));
      }
      return absl::UnavailableError(absl::StrCat("the board did not complete ", what,
                                                 " within ", timeout.count(),
                                                 " ms (hung or not running io_server?)"));
    }
    if (status.code() == absl::StatusCode::kCancelled) {
      return absl::CancelledError(absl::StrCat("cancelled during ", what));
    }
    return absl::Status(status.code() == absl::StatusCode::kOk ? absl::StatusCode::kUnknown
                                                               : status.code(),
                        absl::StrCat(what, ": ", status.message()));
  }

  BoardTransport& transport_;
  const ExchangeLimits& limits_;
  ExchangeResult result_;
  std::vector<uint8_t> buffer_;
};

absl::Status CheckShapes(const IoServerModel& model,
                         absl::Span<const absl::Span<const uint8_t>> inputs,
                         absl::Span<const absl::Span<uint8_t>> outputs) {
  if (inputs.size() != model.input_bytes.size() || outputs.size() != model.output_bytes.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the board's model ", model.model_index, " has ", model.input_bytes.size(),
        " input(s) and ", model.output_bytes.size(), " output(s); got ", inputs.size(), " and ",
        outputs.size()));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (absl::Status s = CheckCommandIndices(model.model_index, static_cast<int>(i)); !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckInputSize(static_cast<int>(i), inputs[i].size(), model.input_bytes[i]);
        !s.ok()) {
      return s;
    }
  }
  for (size_t o = 0; o < outputs.size(); ++o) {
    if (absl::Status s = CheckCommandIndices(model.model_index, static_cast<int>(o)); !s.ok()) {
      return s;
    }
    if (outputs[o].size() != model.output_bytes[o]) {
      return absl::InvalidArgumentError(absl::StrCat("output buffer ", o, " is ",
                                                     outputs[o].size(), " bytes, output ", o,
                                                     " is ", model.output_bytes[o]));
    }
  }
  return CheckCommandIndices(model.model_index, 0);
}

}  // namespace

ExchangeResult RunIoServerExchange(BoardTransport& transport, const IoServerModel& model,
                                   absl::Span<const absl::Span<const uint8_t>> inputs,
                                   absl::Span<const absl::Span<uint8_t>> outputs,
                                   const ExchangeLimits& limits) {
  Exchange exchange(transport, limits);
  ExchangeResult& result = exchange.result();
  result.status = CheckShapes(model, inputs, outputs);
  if (!result.status.ok()) return std::move(result);

  const int m = model.model_index;
  const Clock::time_point start = Clock::now();
  auto run = [&]() -> absl::Status {
    for (size_t i = 0; i < inputs.size(); ++i) {
      const int t = static_cast<int>(i);
      absl::Status s = exchange.Command(IoServerCommand::kRecvInput, m, t,
                                        absl::StrCat("the RECV_INPUT command for input ", i));
      if (!s.ok()) return s;
      s = exchange.Data(inputs[i], absl::StrCat("input ", i, " (", inputs[i].size(), " bytes)"));
      if (!s.ok()) return s;
      if (NeedsZeroLengthPacket(inputs[i].size()) && !inputs[i].empty()) {
        s = exchange.Data({}, absl::StrCat("the zero-length packet ending input ", i));
        if (!s.ok()) return s;
      }
    }
    absl::Status s = exchange.Command(IoServerCommand::kInvoke, m, 0, "the INVOKE command");
    if (!s.ok()) return s;
    s = exchange.Data({}, "the zero-length packet after INVOKE");
    if (!s.ok()) return s;
    const Clock::time_point invoked = Clock::now();
    result.link.host_to_board_ns = Nanos(invoked - start);
    Clock::time_point reading = invoked;
    for (size_t o = 0; o < outputs.size(); ++o) {
      s = exchange.Command(
          IoServerCommand::kSendOutput, m, static_cast<int>(o),
          absl::StrCat("the SEND_OUTPUT command for output ", o,
                       o == 0 ? " (the board takes it once the invoke is done)" : ""));
      if (!s.ok()) return s;
      if (o == 0) {
        reading = Clock::now();
        result.link.on_board_ns = Nanos(reading - invoked);
      }
      s = exchange.Read(outputs[o], WordPaddedBytes(outputs[o].size()),
                        absl::StrCat("output ", o));
      if (!s.ok()) return s;
    }
    result.link.board_to_host_ns = Nanos(Clock::now() - reading);
    return absl::OkStatus();
  };
  result.status = run();
  if (!result.status.ok() && transport.OutOfStep()) result.in_step = false;
  return std::move(result);
}

}  // namespace tinyserve::xcore
