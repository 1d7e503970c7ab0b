// The io_server protocol's facts: command bytes, data-phase framing (packets,
// zero-length packets, word padding) and the input size check.
#include "devices/xcore/io_server_protocol.h"

#include <string>

#include "gtest/gtest.h"

namespace tinyserve::xcore {
namespace {

TEST(IoServerProtocolTest, CommandsAreThreeBytesCmdModelTensor) {
  EXPECT_EQ(EncodeCommand(IoServerCommand::kRecvInput, 2, 1), (CommandPacket{0x03, 2, 1}));
  EXPECT_EQ(EncodeCommand(IoServerCommand::kInvoke, 0, 0), (CommandPacket{0x01, 0, 0}));
  EXPECT_EQ(EncodeCommand(IoServerCommand::kSendOutput, 255, 3), (CommandPacket{0x02, 255, 3}));
  EXPECT_EQ(EncodeCommand(IoServerCommand::kReset, 1, 0), (CommandPacket{0x07, 1, 0}));
  EXPECT_EQ(kCommandBytes, 3u);
}

TEST(IoServerProtocolTest, IndicesMustFitOneByte) {
  EXPECT_TRUE(CheckCommandIndices(0, 0).ok());
  EXPECT_TRUE(CheckCommandIndices(255, 255).ok());
  const absl::Status model = CheckCommandIndices(256, 0);
  EXPECT_EQ(model.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(model.message().find("model index 256"), std::string::npos) << model;
  const absl::Status tensor = CheckCommandIndices(0, -1);
  EXPECT_EQ(tensor.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(tensor.message().find("tensor index -1"), std::string::npos) << tensor;
}

struct Framing {
  size_t bytes;
  size_t packets;  // on the bus, the final short packet or ZLP included
  bool zlp;
  size_t padded;
};

class DataPhaseTest : public ::testing::TestWithParam<Framing> {};

TEST_P(DataPhaseTest, PacketsZeroLengthPacketAndPadding) {
  const Framing f = GetParam();
  EXPECT_EQ(PacketsInDataPhase(f.bytes), f.packets);
  EXPECT_EQ(NeedsZeroLengthPacket(f.bytes), f.zlp);
  EXPECT_EQ(WordPaddedBytes(f.bytes), f.padded);
}

INSTANTIATE_TEST_SUITE_P(TensorSizes, DataPhaseTest,
                         ::testing::Values(Framing{0, 1, true, 0},          // just the ZLP
                                           Framing{1, 1, false, 4},         //
                                           Framing{511, 1, false, 512},     // pads to a full packet
                                           Framing{512, 2, true, 512},      // full packet + ZLP
                                           Framing{513, 2, false, 516},     //
                                           Framing{1024, 3, true, 1024},    //
                                           Framing{27648, 55, true, 27648}  // vww's 96x96x3
                                           ),
                         [](const ::testing::TestParamInfo<Framing>& info) {
                           return "Bytes" + std::to_string(info.param.bytes);
                         });

TEST(IoServerProtocolTest, InputSizeMustMatchTheTensorExactly) {
  EXPECT_TRUE(CheckInputSize(0, 27648, 27648).ok());
  EXPECT_TRUE(CheckInputSize(0, 0, 0).ok());
  for (size_t wrong : {27647u, 27649u, 0u}) {
    const absl::Status s = CheckInputSize(1, wrong, 27648);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << wrong;
    EXPECT_NE(s.message().find("input 1 is " + std::to_string(wrong) + " bytes"),
              std::string::npos)
        << s;
    EXPECT_NE(s.message().find("27648"), std::string::npos) << s;
  }
}

}  // namespace
}  // namespace tinyserve::xcore
