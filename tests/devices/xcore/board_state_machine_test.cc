// The simulated io_server board at packet level: command sequences, silent
// ignores, the model-index fallback, the wrong-size trap, NAK while invoking,
// output framing, faults and power cycling; its outputs equal the xs3 device's.
#include "devices/xcore/sim/board_state_machine.h"

#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "devices/device_registry.h"
#include "devices/xcore/io_server_protocol.h"
#include "devices/xs3/cycle_model.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "tests/support/test_paths.h"

namespace tinyserve::xcore::sim {
namespace {

using Bytes = std::vector<uint8_t>;
constexpr size_t kPacket = kMaxPacketBytes;

std::shared_ptr<const Executable> Xs3Executable(const std::string& name) {
  static std::map<std::string, std::shared_ptr<const Executable>> cache;
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  auto model = Model::LoadFile(testing::BundledModelPath(name));
  if (!model.ok()) return nullptr;
  auto device = CreateDevice("xs3");
  if (!device.ok()) return nullptr;
  auto exe = (*device)->Compile(*model);
  if (!exe.ok()) return nullptr;
  return cache[name] = *exe;
}

std::unique_ptr<BoardStateMachine> MakeBoard(const std::vector<std::string>& models) {
  Firmware firmware;
  for (const std::string& name : models) firmware.models.push_back(Xs3Executable(name));
  auto board = BoardStateMachine::Create(std::move(firmware), DefaultBoardTiming());
  EXPECT_TRUE(board.ok()) << board.status();
  return board.ok() ? std::move(*board) : nullptr;
}

Bytes RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// A host on a simulated clock: offers packets, waits out NAKs by jumping to
// the board's retry time, and fails the test when the board would never
// answer.
class Host {
 public:
  explicit Host(BoardStateMachine& board) : board_(board) {}
  SimClock::time_point now{std::chrono::seconds(1)};

  // One OUT packet; false when the board will never take it.
  bool Packet(const Bytes& packet) {
    board_.WaitForCompute();  // emulation time is not board time
    for (int tries = 0; tries < 4; ++tries) {
      const auto result = board_.OfferOut(now, packet);
      if (result.accepted) {
        now += result.bus_time;
        return true;
      }
      if (result.retry_at == SimClock::time_point::max()) return false;
      EXPECT_GT(result.retry_at, now);
      now = result.retry_at;
    }
    return false;
  }
  // A transfer: 512-byte packets, then the short packet / ZLP.
  bool Transfer(const Bytes& data) {
    size_t offset = 0;
    while (data.size() - offset >= kPacket) {
      if (!Packet(Bytes(data.begin() + offset, data.begin() + offset + kPacket))) return false;
      offset += kPacket;
    }
    return Packet(Bytes(data.begin() + offset, data.end()));
  }
  bool Command(IoServerCommand command, int model, int tensor) {
    return Packet({static_cast<uint8_t>(command), static_cast<uint8_t>(model),
                   static_cast<uint8_t>(tensor)});
  }
  // IN packets until a short one; nullopt when nothing comes.
  std::optional<std::vector<Bytes>> ReadPackets() {
    std::vector<Bytes> packets;
    while (true) {
      auto result = board_.PollIn(now);
      if (!result.packet.has_value()) return std::nullopt;
      now += result.bus_time;
      packets.push_back(*result.packet);
      if (packets.back().size() < kPacket) return packets;
    }
  }
  std::optional<Bytes> ReadOutput() {
    auto packets = ReadPackets();
    if (!packets) return std::nullopt;
    Bytes out;
    for (const Bytes& p : *packets) out.insert(out.end(), p.begin(), p.end());
    return out;
  }
  // The whole io_server exchange; outputs as sent (word-padded).
  std::optional<std::vector<Bytes>> Run(int model, const std::vector<Bytes>& inputs,
                                        int num_outputs) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!Command(IoServerCommand::kRecvInput, model, static_cast<int>(i))) return std::nullopt;
      if (!Transfer(inputs[i])) return std::nullopt;
    }
    if (!Command(IoServerCommand::kInvoke, model, 0) || !Packet({})) return std::nullopt;
    std::vector<Bytes> outputs;
    for (int o = 0; o < num_outputs; ++o) {
      if (!Command(IoServerCommand::kSendOutput, model, o)) return std::nullopt;
      auto out = ReadOutput();
      if (!out) return std::nullopt;
      outputs.push_back(*out);
    }
    return outputs;
  }

 private:
  BoardStateMachine& board_;
};

// What the xs3 device computes for these inputs.
std::vector<Bytes> Xs3Outputs(const Executable& exe, const std::vector<Bytes>& inputs,
                              int64_t* cycles = nullptr) {
  auto session = exe.NewSession();
  EXPECT_TRUE(session.ok());
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::memcpy((*session)->input(static_cast<int>(i)).data(), inputs[i].data(), inputs[i].size());
  }
  auto stats = (*session)->Invoke(InvokeOptions{});
  EXPECT_TRUE(stats.ok()) << stats.status();
  if (cycles != nullptr) *cycles = stats->cycles.value_or(0);
  std::vector<Bytes> outputs;
  for (int o = 0; o < exe.model().num_outputs(); ++o) {
    auto span = (*session)->output(o);
    outputs.emplace_back(span.begin(), span.end());
  }
  return outputs;
}

std::vector<Bytes> ModelInputs(const Model& model, uint32_t seed) {
  std::vector<Bytes> inputs;
  for (int i = 0; i < model.num_inputs(); ++i) {
    inputs.push_back(RandomBytes(model.input(i).bytes, seed + static_cast<uint32_t>(i)));
  }
  return inputs;
}

Bytes Trimmed(Bytes padded, size_t bytes) {
  EXPECT_EQ(padded.size(), (bytes + 3) / 4 * 4) << "output not word-padded";
  padded.resize(std::min(bytes, padded.size()));
  return padded;
}

TEST(BoardStateMachineTest, EveryBundledModelComputesWhatXs3Computes) {
  int checked = 0;
  for (const std::string& name : testing::BundledModelNames()) {
    SCOPED_TRACE(name);
    auto exe = Xs3Executable(name);
    if (exe == nullptr) {
      std::printf("skipping %s: does not compile for xs3\n", name.c_str());
      continue;
    }
    auto board = MakeBoard({name});
    Host host(*board);
    const Model& model = exe->model();
    const auto inputs = ModelInputs(model, 7);
    const auto outputs = host.Run(0, inputs, model.num_outputs());
    ASSERT_TRUE(outputs.has_value()) << "the board stopped answering";
    const auto expected = Xs3Outputs(*exe, inputs);
    for (int o = 0; o < model.num_outputs(); ++o) {
      EXPECT_EQ(Trimmed((*outputs)[o], model.output(o).bytes), expected[o]) << "output " << o;
    }
    EXPECT_FALSE(board->trapped());
    EXPECT_EQ(board->invokes(), 1);
    ++checked;
  }
  EXPECT_GE(checked, 3);
}

TEST(BoardStateMachineTest, RepeatedExchangesAndModelSelection) {
  auto board = MakeBoard({"hello_world_int8", "vww_96_int8"});
  Host host(*board);
  auto hello = Xs3Executable("hello_world_int8");
  auto vww = Xs3Executable("vww_96_int8");
  for (uint32_t seed = 1; seed <= 2; ++seed) {
    const auto in1 = ModelInputs(vww->model(), seed);
    auto out1 = host.Run(1, in1, 1);
    ASSERT_TRUE(out1);
    EXPECT_EQ(Trimmed((*out1)[0], vww->model().output(0).bytes), Xs3Outputs(*vww, in1)[0]);
    const auto in0 = ModelInputs(hello->model(), seed);
    auto out0 = host.Run(0, in0, 1);
    ASSERT_TRUE(out0);
    EXPECT_EQ(Trimmed((*out0)[0], 1), Xs3Outputs(*hello, in0)[0]);
  }
  EXPECT_EQ(board->invokes(), 4);
}

TEST(BoardStateMachineTest, ModelIndexPastTheLastMeansModelZero) {
  auto board = MakeBoard({"hello_world_int8", "vww_96_int8"});
  Host host(*board);
  auto hello = Xs3Executable("hello_world_int8");
  const auto inputs = ModelInputs(hello->model(), 3);
  auto outputs = host.Run(200, inputs, 1);  // model 200 does not exist
  ASSERT_TRUE(outputs);
  EXPECT_EQ(Trimmed((*outputs)[0], 1), Xs3Outputs(*hello, inputs)[0]);
  EXPECT_FALSE(board->trapped());
}

TEST(BoardStateMachineTest, NonCommandsAndUnknownCommandsAreIgnoredSilently) {
  auto board = MakeBoard({"hello_world_int8"});
  Host host(*board);
  // Packets that are not 3 bytes long are taken and dropped...
  EXPECT_TRUE(host.Packet({}));
  EXPECT_TRUE(host.Packet({0x03, 0}));
  EXPECT_TRUE(host.Packet({0x03, 0, 0, 0}));
  EXPECT_TRUE(host.Packet(Bytes(512, 0x01)));
  // ...unknown commands too (0x05 ACK and 0x06 NACK are internal codes).
  EXPECT_TRUE(host.Packet({0x09, 0, 0}));
  EXPECT_TRUE(host.Packet({0x05, 0, 0}));
  EXPECT_TRUE(host.Packet({0x06, 0, 0}));
  // Nothing came back, nothing broke, and the board still works.
  EXPECT_FALSE(host.ReadPackets().has_value());
  EXPECT_EQ(board->invokes(), 0);
  EXPECT_EQ(board->out_packets_taken(), 7);
  auto hello = Xs3Executable("hello_world_int8");
  const auto inputs = ModelInputs(hello->model(), 5);
  auto outputs = host.Run(0, inputs, 1);
  ASSERT_TRUE(outputs);
  EXPECT_EQ(Trimmed((*outputs)[0], 1), Xs3Outputs(*hello, inputs)[0]);
}

TEST(BoardStateMachineTest, ResetCommandThenItsZlpLeaveTheBoardWorking) {
  auto board = MakeBoard({"hello_world_int8"});
  Host host(*board);
  ASSERT_TRUE(host.Command(IoServerCommand::kReset, 0, 0));
  ASSERT_TRUE(host.Packet({}));
  auto hello = Xs3Executable("hello_world_int8");
  const auto inputs = ModelInputs(hello->model(), 9);
  auto outputs = host.Run(0, inputs, 1);
  ASSERT_TRUE(outputs);
  EXPECT_EQ(Trimmed((*outputs)[0], 1), Xs3Outputs(*hello, inputs)[0]);
}

TEST(BoardStateMachineTest, InvokeNaksTheNextCommandForTheCycleEstimate) {
  auto board = MakeBoard({"vww_96_int8"});
  Host host(*board);
  auto vww = Xs3Executable("vww_96_int8");
  const auto inputs = ModelInputs(vww->model(), 11);
  int64_t cycles = 0;
  Xs3Outputs(*vww, inputs, &cycles);
  ASSERT_GT(cycles, 0);
  ASSERT_TRUE(host.Command(IoServerCommand::kRecvInput, 0, 0));
  ASSERT_TRUE(host.Transfer(inputs[0]));
  const SimClock::time_point invoked = host.now;
  ASSERT_TRUE(board->OfferOut(invoked, Bytes{0x01, 0, 0}).accepted);
  // The trailing ZLP is taken while the model runs...
  ASSERT_TRUE(board->OfferOut(invoked, Bytes{}).accepted);
  // While the emulation runs the board NAKs with a short retry time...
  board->WaitForCompute();
  EXPECT_FALSE(board->computing());
  // ...then the next command is NAKed until the cycle estimate is over.
  const auto expected_done = invoked + std::chrono::nanoseconds(
      static_cast<int64_t>(static_cast<double>(cycles) * 1000.0 / xs3::kTileClockMhz));
  const Bytes send_output = {0x02, 0, 0};
  auto nak = board->OfferOut(invoked + std::chrono::microseconds(1), send_output);
  EXPECT_FALSE(nak.accepted);
  EXPECT_LE(std::chrono::abs(nak.retry_at - expected_done), std::chrono::nanoseconds(2));
  EXPECT_FALSE(board->OfferOut(expected_done - std::chrono::microseconds(1), send_output).accepted);
  EXPECT_TRUE(board->OfferOut(nak.retry_at, send_output).accepted);
  EXPECT_FALSE(board->PollIn(nak.retry_at).packet == std::nullopt);
}

TEST(BoardStateMachineTest, UnreadOutputBlocksTheNextCommand) {
  auto board = MakeBoard({"hello_world_int8"});
  Host host(*board);
  ASSERT_TRUE(host.Command(IoServerCommand::kSendOutput, 0, 0));
  const auto nak = board->OfferOut(host.now, Bytes{0x01, 0, 0});
  EXPECT_FALSE(nak.accepted);
  EXPECT_EQ(nak.retry_at, SimClock::time_point::max());
  ASSERT_TRUE(host.ReadOutput().has_value());
  EXPECT_TRUE(board->OfferOut(host.now, Bytes{0x01, 0, 0}).accepted);
}

TEST(BoardStateMachineTest, OutputDataPhaseIsWordPaddedAndEndsShort) {
  struct Case {
    size_t bytes;
    std::vector<size_t> packets;
  };
  const Case cases[] = {
      {0, {0}},           {1, {4}},           {3, {4}},
      {4, {4}},           {511, {512, 0}},    {512, {512, 0}},
      {513, {512, 4}},    {1024, {512, 512, 0}}, {27648, std::vector<size_t>(54, 512)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.bytes);
    std::vector<size_t> expected = c.packets;
    if (c.bytes == 27648) expected.push_back(0);
    const Bytes data = RandomBytes(c.bytes, 1);
    const auto packets = BoardStateMachine::OutputDataPhase(data, false);
    std::vector<size_t> sizes;
    Bytes joined;
    for (const Bytes& p : packets) {
      sizes.push_back(p.size());
      joined.insert(joined.end(), p.begin(), p.end());
    }
    EXPECT_EQ(sizes, expected);
    ASSERT_EQ(joined.size(), (c.bytes + 3) / 4 * 4);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), joined.begin()));
    for (size_t i = c.bytes; i < joined.size(); ++i) EXPECT_EQ(joined[i], 0) << "padding";
  }
  // The short_replies fault: half, in whole words, still ended by a short packet.
  const auto cut = BoardStateMachine::OutputDataPhase(RandomBytes(1024, 2), true);
  ASSERT_EQ(cut.size(), 2u);
  EXPECT_EQ(cut[0].size(), 512u);
  EXPECT_EQ(cut[1].size(), 0u);
}

// The trap counts 32-bit words, as the firmware forwards them: the model reads
// exactly ceil(bytes / 4) words and then wants the end token.
TEST(BoardStateMachineTest, InputOfAnotherWordCountTrapsTheBoardForGood) {
  auto vww = Xs3Executable("vww_96_int8");
  const size_t size = vww->model().input(0).bytes;
  ASSERT_EQ(size % 4, 0u);
  {
    SCOPED_TRACE("one byte long: a word too many blocks the USB thread at once");
    auto board = MakeBoard({"vww_96_int8"});
    Host host(*board);
    ASSERT_TRUE(host.Command(IoServerCommand::kRecvInput, 0, 0));
    ASSERT_TRUE(host.Transfer(RandomBytes(size + 1, 1)));
    EXPECT_TRUE(board->trapped());
    EXPECT_FALSE(host.Command(IoServerCommand::kInvoke, 0, 0));
    EXPECT_FALSE(host.Packet({}));
    EXPECT_FALSE(host.ReadPackets().has_value());
    board->Reset();  // power cycle
    EXPECT_FALSE(board->trapped());
    const auto inputs = ModelInputs(vww->model(), 4);
    auto outputs = host.Run(0, inputs, 1);
    ASSERT_TRUE(outputs);
    EXPECT_EQ(Trimmed((*outputs)[0], vww->model().output(0).bytes), Xs3Outputs(*vww, inputs)[0]);
  }
  {
    SCOPED_TRACE("one word short: the data phase ends, the next command is the last one taken");
    auto board = MakeBoard({"vww_96_int8"});
    Host host(*board);
    ASSERT_TRUE(host.Command(IoServerCommand::kRecvInput, 0, 0));
    ASSERT_TRUE(host.Transfer(RandomBytes(size - 4, 1)));
    EXPECT_TRUE(board->trapped());
    EXPECT_TRUE(host.Packet({}));  // not a command: dropped by the USB thread
    EXPECT_TRUE(host.Command(IoServerCommand::kInvoke, 0, 0));
    EXPECT_FALSE(host.Packet({}));
    EXPECT_FALSE(host.Command(IoServerCommand::kSendOutput, 0, 0));
    EXPECT_EQ(board->invokes(), 0);
  }
  {
    SCOPED_TRACE("one byte short of a whole word: the same word count, no trap");
    auto board = MakeBoard({"vww_96_int8"});
    Host host(*board);
    ASSERT_TRUE(host.Command(IoServerCommand::kRecvInput, 0, 0));
    ASSERT_TRUE(host.Transfer(RandomBytes(size - 1, 1)));
    EXPECT_FALSE(board->trapped());
  }
  {
    SCOPED_TRACE("a one-byte tensor: nothing (a ZLP) traps it, two bytes do not");
    auto board = MakeBoard({"hello_world_int8"});
    Host host(*board);
    ASSERT_TRUE(host.Command(IoServerCommand::kRecvInput, 0, 0));
    ASSERT_TRUE(host.Transfer({0x11, 0x22}));
    EXPECT_FALSE(board->trapped());
    ASSERT_TRUE(host.Command(IoServerCommand::kRecvInput, 0, 0));
    ASSERT_TRUE(host.Transfer({}));
    EXPECT_TRUE(board->trapped());
  }
}

TEST(BoardStateMachineTest, TensorIndexPastTheModelTrapsTheBoard) {
  for (IoServerCommand command : {IoServerCommand::kRecvInput, IoServerCommand::kSendOutput}) {
    auto board = MakeBoard({"hello_world_int8"});
    Host host(*board);
    EXPECT_TRUE(host.Command(command, 0, 1));
    EXPECT_TRUE(board->trapped());
    EXPECT_FALSE(host.Packet({}));
    EXPECT_FALSE(host.ReadPackets().has_value());
  }
}

TEST(BoardStateMachineTest, ExitTakesTheBoardOffTheBusUntilPowerCycled) {
  auto board = MakeBoard({"hello_world_int8"});
  Host host(*board);
  ASSERT_TRUE(host.Command(IoServerCommand::kExit, 0, 0));
  EXPECT_TRUE(board->exited());
  EXPECT_FALSE(host.Packet({0x01, 0, 0}));
  board->Reset();
  EXPECT_FALSE(board->exited());
  EXPECT_TRUE(host.Packet({0x01, 0, 0}));
}

TEST(BoardStateMachineTest, HangFaults) {
  auto board = MakeBoard({"hello_world_int8"});
  Host host(*board);
  BoardFaults faults;
  faults.hang = true;
  board->SetFaults(faults);
  const auto nak = board->OfferOut(host.now, Bytes{0x01, 0, 0});
  EXPECT_FALSE(nak.accepted);
  EXPECT_EQ(nak.retry_at, SimClock::time_point::max());
  board->Reset();  // faults survive a power cycle
  EXPECT_FALSE(board->OfferOut(host.now, Bytes{0x01, 0, 0}).accepted);

  faults.hang = false;
  faults.hang_after_out_packets = 2;
  board->SetFaults(faults);
  EXPECT_TRUE(host.Packet({0x03, 0, 0}));
  EXPECT_TRUE(host.Packet({0x10}));
  EXPECT_FALSE(host.Packet({0x01, 0, 0}));
  EXPECT_TRUE(board->faults().hang);
}

TEST(BoardStateMachineTest, GarbageAndShortReplies) {
  auto vww = Xs3Executable("vww_96_int8");
  const auto inputs = ModelInputs(vww->model(), 21);
  const Bytes clean = Xs3Outputs(*vww, inputs)[0];
  {
    auto board = MakeBoard({"vww_96_int8"});
    BoardFaults faults;
    faults.garbage_replies = true;
    board->SetFaults(faults);
    Host host(*board);
    auto outputs = host.Run(0, inputs, 1);
    ASSERT_TRUE(outputs);
    ASSERT_EQ((*outputs)[0].size(), (clean.size() + 3) / 4 * 4);  // same length...
    for (size_t i = 0; i < clean.size(); ++i) {
      EXPECT_NE((*outputs)[0][i], clean[i]) << "byte " << i;  // ...other bytes
    }
  }
  {
    auto board = MakeBoard({"hello_world_int8", "vww_96_int8"});
    BoardFaults faults;
    faults.short_replies = true;
    board->SetFaults(faults);
    Host host(*board);
    auto outputs = host.Run(1, inputs, 1);
    ASSERT_TRUE(outputs);
    EXPECT_LT((*outputs)[0].size(), clean.size());
  }
}

TEST(BoardStateMachineTest, LinkModelAndSlowdown) {
  auto board = MakeBoard({"hello_world_int8"});
  const BoardTiming timing = DefaultBoardTiming();
  const auto full = board->PacketBusTime(512);
  const auto command = board->PacketBusTime(3);
  EXPECT_EQ(full.count(), static_cast<int64_t>(512 * 1e9 / timing.bytes_per_second));
  EXPECT_EQ(command.count(),
            static_cast<int64_t>(3 * 1e9 / timing.bytes_per_second) + timing.per_transfer.count());
  BoardFaults faults;
  faults.link_slowdown = 4;
  board->SetFaults(faults);
  EXPECT_NEAR(static_cast<double>(board->PacketBusTime(512).count()),
              4.0 * static_cast<double>(full.count()), 4.0);
  const auto accepted = board->OfferOut(SimClock::now(), Bytes{0x09, 0, 0});
  EXPECT_TRUE(accepted.accepted);
  EXPECT_NEAR(static_cast<double>(accepted.bus_time.count()),
              4.0 * static_cast<double>(command.count()), 4.0);
}

TEST(BoardStateMachineTest, LinkClockForgivesOnlyOversleeping) {
  const SimClock::time_point t{std::chrono::seconds(10)};
  const auto us = [](int n) { return std::chrono::microseconds(n); };
  EXPECT_EQ(LinkTimeStart(t + us(50), t), t + us(50));  // still busy: queue behind it
  EXPECT_EQ(LinkTimeStart(t - us(80), t), t - us(80));  // freed just now: overslept
  EXPECT_EQ(LinkTimeStart(t - us(5000), t), t);         // idle: starts now, no discount
}

TEST(BoardStateMachineTest, CreateRefusesEmptyFirmware) {
  auto board = BoardStateMachine::Create(Firmware{}, DefaultBoardTiming());
  ASSERT_FALSE(board.ok());
  EXPECT_EQ(board.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tinyserve::xcore::sim
