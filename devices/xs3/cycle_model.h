// The xs3 device's cycle model: what one hardware thread of an xcore.ai tile
// issues to run a lowered model, and the latency that implies.
//
// Unit: an "issue slot" is one instruction issued by one thread. Every
// emulated VPU instruction is one slot (the Vpu counts them); the scalar work
// around it (loops, pointer arithmetic, im2col copies, calls) is counted by the
// kernels in slots with the constants below. No constant is fitted to a
// published latency: each is an instruction count for the work it names.
//
// Timing facts (xs3.md §1.6): the tile clock is 800 MHz and one thread issues
// at most every 5th cycle (clock/5), so single-thread chip cycles =
// 5 x slots. With 5 threads each still issues every 5th cycle, so an op split
// over 5 threads takes (slots of its busiest thread) x 5 cycles.
#ifndef TINYSERVE_DEVICES_XS3_CYCLE_MODEL_H_
#define TINYSERVE_DEVICES_XS3_CYCLE_MODEL_H_

#include <cstdint>

namespace tinyserve::xs3 {

inline constexpr double kTileClockMhz = 800.0;
// A thread issues at most one instruction every 5 tile cycles.
inline constexpr int64_t kCyclesPerIssueSlot = 5;
// Threads XMOS's tooling splits an op across (xformer --xcore-thread-count=5).
inline constexpr int kMaxThreads = 5;

namespace cost {
// One VPU instruction (counted by the emulator): single issue, one slot.
inline constexpr int64_t kVpuInstruction = 1;
// A call through a function pointer / virtual method with a small frame:
// branch-and-link, ENTSP, 2-3 callee-saved register spills and reloads,
// argument moves, RETSP.
inline constexpr int64_t kFunctionCall = 8;
// Per operator in the interpreter: the invoke loop, fetching the node and its
// input/output tensor pointers, reading the custom op's parameters, and the
// kernel's entry before its first output (a few dozen loads and calls).
inline constexpr int64_t kOpDispatch = 150;
// Per output pixel of a conv-like kernel: row/column counters, input and
// output pointer arithmetic (two multiply-adds), loop branches.
inline constexpr int64_t kPixelLoop = 6;
// Per 16-channel output group within a pixel: group counter, weight and
// parameter pointer updates, branch.
inline constexpr int64_t kChannelGroupLoop = 4;
// Per 32-byte input chunk in the MAC loop: chunk counter and branch. The
// weight-pointer increments between VLMACCRs pair with them in dual issue,
// so they take no slot of their own.
inline constexpr int64_t kChunkLoop = 2;
// Per kernel tap gathered by im2col: bounds checks against the image
// (compares and a branch) and the source address computation.
inline constexpr int64_t kIm2colTap = 5;
// Copying one 32-bit word: a load and a store.
inline constexpr int64_t kWordCopy = 2;
// Writing one 32-bit word of padding (the input zero point): a store.
inline constexpr int64_t kWordFill = 1;
// Per output-transform call: loading the parameter pointers and combining the
// VDEPTH1 word with the lane mask for the -128 store.
inline constexpr int64_t kOutputTransformScalar = 4;
// Per exact output stage call (exact_output_stage.cc): forming the addresses
// of its ~25 memory operands from three base registers (constants, scratch,
// output), about one ADD/LDAW for every second operand (the rest pair with
// VPU instructions in dual issue), and the lane mask for the partial store.
inline constexpr int64_t kExactStageScalar = 14;
// XC_pad_3_to_4 (xs3.md §2.1: xformer pads a 3-channel first-layer input to
// 4 so pixels are whole words), per input pixel: with aligned loads only, 4
// pixels (3 words in) become 4 words out with 3 loads, ~6 shift/or, 4 stores
// and the loop: about 4 slots per pixel.
inline constexpr int64_t kPad3To4Pixel = 4;
// Per depthwise tap: source pointer step (or padding check) and branch.
inline constexpr int64_t kDepthwiseTap = 3;
// Per 16-element step of an element-wise kernel (XC_add): pointer steps, the
// remaining-count update and branch.
inline constexpr int64_t kElementwiseStep = 4;
// Per int8 element through a 256-entry lookup table (the op xformer makes of
// an activation it cannot fuse): load, table load, store.
inline constexpr int64_t kLookupElement = 3;
// Scalar fallback (the engine's reference kernel, as TFLite Micro's reference
// kernels run on the scalar pipeline): per MAC of a conv-like op, two loads,
// the zero-point add, a multiply-accumulate, index arithmetic for input and
// filter, two bounds checks and the loop branch.
inline constexpr int64_t kReferenceMac = 12;
// Scalar fallback, per output element of an element-wise or data-movement
// op (load, compute or requantize, clamp, store, loop).
inline constexpr int64_t kReferenceElement = 10;
// SOFTMAX per element: max scan, exp table lookup, sum, reciprocal multiply
// and requantize, over three passes.
inline constexpr int64_t kReferenceSoftmaxElement = 40;
// Splitting an op over 5 threads and joining: acquiring the synchronizer
// and 4 threads, setting their entry points and 3 arguments each, starting
// them, and the join barrier.
inline constexpr int64_t kForkJoin = 60;
}  // namespace cost

// Chip cycles for `slots` issued by one thread.
inline int64_t SingleThreadCycles(int64_t slots) { return slots * kCyclesPerIssueSlot; }
inline double CyclesToMicroseconds(double cycles) { return cycles / kTileClockMhz; }

// Slots of an op's busiest thread when its `parallel_slots` of kernel work are
// split over `threads` threads by `work_units` equal units (output rows or
// channel groups): whole units per thread, so imbalance when units % threads
// != 0; plus the fork/join cost. `serial_slots` (dispatch) is not split.
// Returns serial + parallel when the op cannot be split.
int64_t BusiestThreadSlots(int64_t serial_slots, int64_t parallel_slots, int64_t work_units,
                           int threads);

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_CYCLE_MODEL_H_
