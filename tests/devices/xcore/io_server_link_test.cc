// The io_server exchange against a scripted in-memory transport: the exact
// transfers sent (boundaries and zero-length packets included), output
// trimming, wrong replies, and which failures leave the board in step.
#include "devices/xcore/io_server_link.h"

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace tinyserve::xcore {
namespace {

using Bytes = std::vector<uint8_t>;
using Clock = std::chrono::steady_clock;

struct Call {
  bool out = true;
  Bytes data;           // OUT: what was sent
  size_t capacity = 0;  // IN: the buffer offered
  Clock::time_point deadline;
};

// Records every transfer. OUT transfers succeed unless `out_script` says
// otherwise for that call index; IN transfers return the next `replies` entry.
class ScriptedTransport : public BoardTransport {
 public:
  struct OutFailure {
    absl::Status status;
    size_t sent = 0;
  };
  // What call #i does instead of succeeding (calls count OUT and IN alike).
  std::map<size_t, OutFailure> out_failures;
  // Call #i blocks until its deadline passes or it is cancelled (sent 0).
  std::map<size_t, bool> hang;
  std::deque<absl::StatusOr<Bytes>> replies;
  std::vector<Call> calls;

  absl::Status BulkOut(absl::Span<const uint8_t> data, const TransferLimits& limits,
                       size_t* sent) override {
    const size_t index = calls.size();
    calls.push_back({true, Bytes(data.begin(), data.end()), 0, limits.deadline});
    *sent = 0;
    if (hang.count(index) != 0) return Hang(limits);
    if (auto it = out_failures.find(index); it != out_failures.end()) {
      *sent = it->second.sent;
      return it->second.status;
    }
    *sent = data.size();
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> BulkIn(absl::Span<uint8_t> buffer, const TransferLimits& limits) override {
    const size_t index = calls.size();
    calls.push_back({false, {}, buffer.size(), limits.deadline});
    if (hang.count(index) != 0) return Hang(limits);
    if (replies.empty()) return absl::InternalError("test script: no reply left");
    absl::StatusOr<Bytes> reply = std::move(replies.front());
    replies.pop_front();
    if (!reply.ok()) return reply.status();
    const size_t n = std::min(reply->size(), buffer.size());
    std::copy_n(reply->begin(), n, buffer.begin());
    return n;
  }

  const std::string& path() const override { return path_; }
  bool OutOfStep() const override { return out_of_step; }
  bool out_of_step = false;  // e.g. a stalled endpoint

  std::vector<Bytes> OutData() const {
    std::vector<Bytes> out;
    for (const Call& c : calls) {
      if (c.out) out.push_back(c.data);
    }
    return out;
  }

 private:
  static absl::Status Hang(const TransferLimits& limits) {
    while (Clock::now() < limits.deadline) {
      if (limits.cancelled != nullptr && *limits.cancelled && (*limits.cancelled)()) {
        return absl::CancelledError("cancelled");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return absl::DeadlineExceededError("timed out");
  }

  std::string path_ = "test-board";
};

Bytes Pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

// Runs one exchange of one model with the given tensors.
struct Exchange {
  IoServerModel model;
  std::vector<Bytes> inputs;
  std::vector<Bytes> outputs;
  ExchangeResult result;

  Exchange(int model_index, std::vector<size_t> in_bytes, std::vector<size_t> out_bytes) {
    model.model_index = model_index;
    model.input_bytes = in_bytes;
    model.output_bytes = out_bytes;
    for (size_t i = 0; i < in_bytes.size(); ++i) {
      inputs.push_back(Pattern(in_bytes[i], static_cast<uint8_t>(i + 1)));
    }
    for (size_t b : out_bytes) outputs.emplace_back(b, 0xEE);
  }

  ExchangeResult& Go(BoardTransport& transport, const ExchangeLimits& limits = {}) {
    std::vector<absl::Span<const uint8_t>> in(inputs.begin(), inputs.end());
    std::vector<absl::Span<uint8_t>> out;
    for (Bytes& o : outputs) out.push_back(absl::MakeSpan(o));
    result = RunIoServerExchange(transport, model, in, out, limits);
    return result;
  }
};

TEST(IoServerLinkTest, OneInputOfAWholePacketGetsAZeroLengthPacket) {
  ScriptedTransport t;
  const Bytes reply = Pattern(12, 40);  // 10 output bytes padded to 12
  t.replies.push_back(reply);
  Exchange run(0, {512}, {10});
  ASSERT_TRUE(run.Go(t).status.ok()) << run.result.status;

  const std::vector<Bytes> expected = {
      {0x03, 0, 0}, run.inputs[0], {}, {0x01, 0, 0}, {}, {0x02, 0, 0}};
  EXPECT_EQ(t.OutData(), expected);
  ASSERT_EQ(t.calls.size(), 7u);
  EXPECT_FALSE(t.calls[6].out);
  EXPECT_EQ(t.calls[6].capacity, 512u);  // room for the expected short packet
  EXPECT_EQ(run.outputs[0], Bytes(reply.begin(), reply.begin() + 10));  // padding trimmed

  const LinkStats& link = run.result.link;
  EXPECT_EQ(link.transfers, 7);
  EXPECT_EQ(link.bytes_out, 3 + 512 + 3 + 3);
  EXPECT_EQ(link.bytes_in, 12);
  EXPECT_TRUE(run.result.in_step);
}

TEST(IoServerLinkTest, InputSizesAndTheirZeroLengthPackets) {
  for (size_t bytes : {0u, 1u, 511u, 512u, 513u, 1024u, 27648u}) {
    SCOPED_TRACE(bytes);
    ScriptedTransport t;
    t.replies.push_back(Bytes(4, 1));
    Exchange run(0, {bytes}, {4});
    ASSERT_TRUE(run.Go(t).status.ok()) << run.result.status;
    const std::vector<Bytes> out = t.OutData();
    // [cmd] [data] [ZLP when a non-empty multiple of 512]; an empty input is just the ZLP.
    const bool zlp_after = bytes > 0 && bytes % 512 == 0;
    ASSERT_EQ(out.size(), 2u + (zlp_after ? 1u : 0u) + 3u);
    EXPECT_EQ(out[0], (Bytes{0x03, 0, 0}));
    EXPECT_EQ(out[1], run.inputs[0]);  // one transfer: the transport splits into packets
    if (zlp_after) {
      EXPECT_TRUE(out[2].empty());
    }
    EXPECT_EQ(out[out.size() - 3], (Bytes{0x01, 0, 0}));
    EXPECT_TRUE(out[out.size() - 2].empty());
  }
}

TEST(IoServerLinkTest, SeveralTensorsCarryModelAndTensorIndices) {
  ScriptedTransport t;
  t.replies.push_back(Pattern(1024, 3));  // output 0: 1024 bytes, then a ZLP on the bus
  t.replies.push_back(Pattern(4, 9));     // output 1: 3 bytes padded to 4
  Exchange run(7, {16, 3}, {1024, 3});
  ASSERT_TRUE(run.Go(t).status.ok()) << run.result.status;
  const std::vector<Bytes> expected = {{0x03, 7, 0}, run.inputs[0], {0x03, 7, 1}, run.inputs[1],
                                       {0x01, 7, 0}, {},            {0x02, 7, 0}, {0x02, 7, 1}};
  EXPECT_EQ(t.OutData(), expected);
  // IN buffers: one packet more than the padded size, so the end shows as a short packet.
  EXPECT_EQ(t.calls[7].capacity, 1536u);
  EXPECT_EQ(t.calls[9].capacity, 512u);
  EXPECT_EQ(run.outputs[0], Pattern(1024, 3));
  const Bytes padded = Pattern(4, 9);
  EXPECT_EQ(run.outputs[1], Bytes(padded.begin(), padded.begin() + 3));
  EXPECT_EQ(run.result.link.bytes_in, 1028);
  EXPECT_EQ(run.result.link.transfers, 10);
}

TEST(IoServerLinkTest, WrongSizedInputIsRefusedBeforeAnythingIsSent) {
  ScriptedTransport t;
  Exchange run(0, {100}, {4});
  run.inputs[0].resize(99);
  const ExchangeResult& r = run.Go(t);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status.message().find("input 0 is 99 bytes"), std::string::npos) << r.status;
  EXPECT_TRUE(t.calls.empty());
  EXPECT_TRUE(r.in_step);
}

TEST(IoServerLinkTest, ModelIndexBeyondAByteIsRefusedBeforeAnythingIsSent) {
  ScriptedTransport t;
  Exchange run(256, {4}, {4});
  EXPECT_EQ(run.Go(t).status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(t.calls.empty());
}

TEST(IoServerLinkTest, ShortOrLongRepliesAreClearErrorsAndLeaveTheBoardOutOfStep) {
  {
    ScriptedTransport t;
    t.replies.push_back(Bytes(8, 0));  // 12 expected
    Exchange run(0, {4}, {10});
    const ExchangeResult& r = run.Go(t);
    EXPECT_EQ(r.status.code(), absl::StatusCode::kUnavailable);
    EXPECT_NE(r.status.message().find("sent 8 bytes, expected 12"), std::string::npos)
        << r.status;
    EXPECT_FALSE(r.in_step);
  }
  {
    ScriptedTransport t;
    t.replies.push_back(Bytes(4096, 0));  // fills the buffer: more than expected
    Exchange run(0, {4}, {10});
    const ExchangeResult& r = run.Go(t);
    EXPECT_EQ(r.status.code(), absl::StatusCode::kUnavailable);
    EXPECT_NE(r.status.message().find("more than 512 bytes"), std::string::npos) << r.status;
    EXPECT_FALSE(r.in_step);
  }
}

TEST(IoServerLinkTest, ACommandTheBoardNeverTookLeavesItInStep) {
  ScriptedTransport t;
  t.out_failures[0] = {absl::UnavailableError("stalled"), 0};
  Exchange run(0, {4}, {4});
  const ExchangeResult& r = run.Go(t);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(r.status.message().find("RECV_INPUT command for input 0"), std::string::npos)
      << r.status;
  EXPECT_TRUE(r.in_step);
  EXPECT_EQ(t.calls.size(), 1u);
}

TEST(IoServerLinkTest, AStalledEndpointLeavesItOutOfStepEvenAtACommand) {
  ScriptedTransport t;
  t.out_failures[0] = {absl::UnavailableError("endpoint stalled"), 0};
  t.out_of_step = true;
  Exchange run(0, {4}, {4});
  EXPECT_FALSE(run.Go(t).in_step);
}

TEST(IoServerLinkTest, DataTheBoardTookPartlyLeavesItOutOfStep) {
  ScriptedTransport t;
  t.out_failures[1] = {absl::UnavailableError("stalled"), 100};
  Exchange run(0, {1000}, {4});
  const ExchangeResult& r = run.Go(t);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(r.status.message().find("input 0 (1000 bytes)"), std::string::npos) << r.status;
  EXPECT_FALSE(r.in_step);
  EXPECT_EQ(r.link.bytes_out, 3 + 100);
}

TEST(IoServerLinkTest, AFailedDataPhaseEvenWithNothingTakenLeavesItOutOfStep) {
  // The board has the RECV_INPUT command and waits for data: a later command
  // would be read as tensor bytes.
  ScriptedTransport t;
  t.out_failures[1] = {absl::UnavailableError("stalled"), 0};
  Exchange run(0, {4}, {4});
  EXPECT_FALSE(run.Go(t).in_step);
}

TEST(IoServerLinkTest, ACommandTakenPartlyLeavesItOutOfStep) {
  ScriptedTransport t;
  t.out_failures[2] = {absl::UnavailableError("link error"), 1};
  Exchange run(0, {4}, {4});
  EXPECT_FALSE(run.Go(t).in_step);
}

TEST(IoServerLinkTest, ReadFailuresLeaveItOutOfStep) {
  ScriptedTransport t;
  t.replies.push_back(absl::UnavailableError("board unplugged"));
  Exchange run(0, {4}, {4});
  const ExchangeResult& r = run.Go(t);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(r.status.message().find("output 0: board unplugged"), std::string::npos) << r.status;
  EXPECT_FALSE(r.in_step);
}

TEST(IoServerLinkTest, TheRequestDeadlineEndsAWaitForAnInvokingBoard) {
  // The board NAKs SEND_OUTPUT while it invokes; here it never finishes.
  ScriptedTransport t;
  t.hang[4] = true;  // calls: [RECV_INPUT][data][INVOKE][ZLP][SEND_OUTPUT]
  Exchange run(0, {4}, {4});
  ExchangeLimits limits;
  limits.deadline = Clock::now() + std::chrono::milliseconds(50);
  const auto start = Clock::now();
  const ExchangeResult& r = run.Go(t, limits);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kDeadlineExceeded) << r.status;
  EXPECT_NE(r.status.message().find("SEND_OUTPUT command for output 0"), std::string::npos)
      << r.status;
  // The board never saw the command: still in step (it finishes the invoke
  // and waits for the next command).
  EXPECT_TRUE(r.in_step);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));  // not the 5 s command timeout
  ASSERT_EQ(t.calls.size(), 5u);
  EXPECT_EQ(t.OutData()[4], (Bytes{0x02, 0, 0}));
  EXPECT_EQ(t.calls[4].deadline, limits.deadline);
}

TEST(IoServerLinkTest, ATransferTimeoutShorterThanTheDeadlineIsTheBoardsFault) {
  ScriptedTransport t;
  t.hang[0] = true;
  Exchange run(0, {4}, {4});
  ExchangeLimits limits;
  limits.timeouts.command = std::chrono::milliseconds(20);
  const ExchangeResult& r = run.Go(t, limits);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kUnavailable) << r.status;
  EXPECT_NE(r.status.message().find("within 20 ms"), std::string::npos) << r.status;
  EXPECT_TRUE(r.in_step);
}

TEST(IoServerLinkTest, PerTransferTimeoutsFollowXmosHost) {
  ScriptedTransport t;
  t.replies.push_back(Bytes(4, 0));
  Exchange run(0, {4}, {4});
  const auto start = Clock::now();
  ASSERT_TRUE(run.Go(t).status.ok());
  auto timeout_of = [&](size_t i) { return t.calls[i].deadline - start; };
  // command 5 s, data 1 s, read 10 s (each measured from a little after start)
  EXPECT_GE(timeout_of(0), std::chrono::milliseconds(5000));
  EXPECT_LT(timeout_of(0), std::chrono::milliseconds(5500));
  EXPECT_GE(timeout_of(1), std::chrono::milliseconds(1000));
  EXPECT_LT(timeout_of(1), std::chrono::milliseconds(1500));
  EXPECT_GE(timeout_of(5), std::chrono::milliseconds(10000));
}

TEST(IoServerLinkTest, CancellationEndsTheExchange) {
  ScriptedTransport t;
  t.hang[4] = true;
  Exchange run(0, {4}, {4});
  const auto start = Clock::now();
  const std::function<bool()> cancelled = [&] {
    return Clock::now() - start > std::chrono::milliseconds(30);
  };
  ExchangeLimits limits;
  limits.cancelled = &cancelled;
  const ExchangeResult& r = run.Go(t, limits);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kCancelled) << r.status;
  EXPECT_TRUE(r.in_step);
}

TEST(IoServerLinkTest, TimingPhasesAreFilled) {
  ScriptedTransport t;
  t.replies.push_back(Bytes(4, 0));
  Exchange run(0, {4}, {4});
  ASSERT_TRUE(run.Go(t).status.ok());
  const LinkStats& link = run.result.link;
  EXPECT_GT(link.host_to_board_ns, 0);
  EXPECT_GE(link.on_board_ns, 0);
  EXPECT_GT(link.board_to_host_ns, 0);
}

}  // namespace
}  // namespace tinyserve::xcore
