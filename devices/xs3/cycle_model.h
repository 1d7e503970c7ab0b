// The xs3 device's cycle model: what one hardware thread of an xcore.ai tile
// issues to run a lowered model, and the latency that implies.
//
// Unit: an "issue slot" is one instruction bundle issued by one thread (in
// lib_nn's dual-issue assembly a `{a ; b}` pair is one slot). Every emulated
// VPU instruction is one slot (the Vpu counts them); the scalar work around it
// (loops, calls, pointer arithmetic, im2col copies, instruction-fetch stalls)
// is counted by the kernels in slots with the constants below. Each constant
// is an instruction count of a named loop or call in XMOS's lib_nn
// (52a6187, xs3.md "NN") or lib_tflite_micro ("TM"), or of TensorFlow Lite
// Micro's reference kernel the op falls back to, or an ISA fact; none is a
// per-model factor. docs/xs3.md "The cycle model" lists them with their
// sources and the check against XMOS's published VWW profile.
//
// Timing facts (xs3.md §1.6): one thread issues at most every 5th tile cycle,
// so single-thread chip cycles = 5 x slots. With 5 threads each still issues
// every 5th cycle, so an op split over 5 threads takes (slots of its busiest
// thread) x 5 cycles.
#ifndef TINYSERVE_DEVICES_XS3_CYCLE_MODEL_H_
#define TINYSERVE_DEVICES_XS3_CYCLE_MODEL_H_

#include <cstdint>

namespace tinyserve::xs3 {

// The tile clock of XMOS's published VWW profile (AT examples/app_profiling,
// built for XCORE-AI-EXPLORER). Parts run at 600 or 800 MHz (xs3.md §4) and
// the README does not say which; its XC_pad_3_to_4 line settles it: lib_nn's
// pad_3_to_4.S is straight-line scalar code (28 slots per 8 pixels, no VPU,
// no fetch stalls), 9,216 pixels + dispatch = 32,406 slots, which is the
// measured 26,991 ticks (10 ns) = 269.9 us at 600 MHz (5 cycles per slot)
// and would be 202.5 us at 800 MHz.
inline constexpr double kTileClockMhz = 600.0;
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
// Per operator in the interpreter: the invoke loop, fetching the node, its
// registration and user data, and the profiler's two timer reads. XMOS's
// profile bounds it: an XC_strided_slice of 2 bytes costs 106 ticks = 127
// slots and a RESHAPE 131 ticks = 157 slots, dispatch included.
inline constexpr int64_t kOpDispatch = 100;
// Per output pixel of a conv-like kernel: lib_nn's nn::execute row/column
// loop (Filter2D.cpp: counters, the output pointer step) and its call into
// conv_calc_output_pixel_slice / dconv_calc_output_pixel_slice with nine
// arguments, five of them passed on the stack.
inline constexpr int64_t kPixelLoop = 18;
// Per 16-channel output group within a pixel: the channel-group loop of
// conv_calc_output_pixel_slice (counter, re-reading the aggregate and
// output-transform function pointers and parameter blocks, branch).
inline constexpr int64_t kChannelGroupLoop = 5;
// Per 32-byte input chunk in lib_nn's MAC loop (aggregate_fn_direct_int8.S,
// aggregate_fn_generic_int8.S `input_channel_loop`): the loop branch bundle
// (1) plus instruction-fetch stalls (8; kFetchStall rule: 17 of the loop's 18
// bundles access memory).
inline constexpr int64_t kChunkLoop = 9;
// Per kernel tap gathered by im2col (memcpy_fn_valid.S `iw_loop`: the
// channel-loop test, VLDR, VSTRPV, pointer steps, branch; the two VPU
// instructions are among the 5 slots).
inline constexpr int64_t kIm2colTap = 5;
// Copying one 32-bit word: a load and a store.
inline constexpr int64_t kWordCopy = 2;
// Writing one 32-bit word of padding (the input zero point): a store.
inline constexpr int64_t kWordFill = 1;
// Per output-transform call beyond the 17 VPU instructions the emulator
// counts and the kFunctionCall: output_transform_fn_int8.S is 32 bundles plus
// 7 fetch stalls (23 of them access memory), its C++ stub
// (output_transform_fn_impl_asm_stub: output count, parameter offset, call)
// 10: 32 + 7 + 10 - 17 - 8 = 24.
inline constexpr int64_t kOutputTransformScalar = 24;
// Per exact output stage call (exact_output_stage.cc): forming the addresses
// of its ~25 memory operands from three base registers (constants, scratch,
// output), about one ADD/LDAW for every second operand (the rest pair with
// VPU instructions in dual issue), and the lane mask for the partial store.
inline constexpr int64_t kExactStageScalar = 14;
// XC_pad_3_to_4 per input pixel, rounded up: pad_3_to_4.S's loop is 28
// bundles per 8 pixels (3 LDD, 8 x LEXTRACT/OR/STW, the branch) = 3.5.
// Pad3To4Slots() has the exact count; this is kept for per-pixel callers.
inline constexpr int64_t kPad3To4Pixel = 4;
// pad_3_to_4.S: bundles per iteration of 8 pixels, and the call's entry/exit
// (DUALENTSP, 3 STD, STW, masks; 3 LDD, LDW, RETSP).
inline constexpr int64_t kPad3To4Loop = 28;
inline constexpr int64_t kPad3To4Call = 12;
// Per depthwise tap (aggregate_fn_direct_int8_dw.S `kw_loop`): VLDC and
// VLMACC (counted by the emulator) and the loop branch bundle; the loop's
// fetch stall (2 of 3 bundles access memory: half a slot per tap) is added
// per group by DepthwiseGroupSlots().
inline constexpr int64_t kDepthwiseTap = 1;
// Per 16-element step of an element-wise kernel (XC_add): pointer steps, the
// remaining-count update and branch.
inline constexpr int64_t kElementwiseStep = 4;
// Per int8 element through a 256-entry lookup table (the op xformer makes of
// an activation it cannot fuse): load, table load, store.
inline constexpr int64_t kLookupElement = 3;
// Scalar fallback: TFLite Micro's reference kernel on one thread, built as
// lib_tflite_micro builds it for the chip (-O3, and without NDEBUG, so every
// TFLITE_DCHECK in the index helpers is live: TM CMakeLists.txt). Per MAC of
// a conv-like op (reference_integer_ops DepthwiseConvPerChannel / ConvPerChannel
// inner loop): input coordinates (2 MUL, 2 ADD), the in-image test (4
// compares, 3 ANDs, branch), two Offset() index computations (each: the
// 4-dims check, DimsData select, four range DCHECKs of ~5 slots, 3 MUL + 3
// ADD on the dims: 35), two byte loads with sign extension (4), the offset
// add, MUL, accumulate, loop counter and branch (5): 4 + 8 + 70 + 4 + 5 = 91.
inline constexpr int64_t kReferenceMac = 91;
// Scalar fallback, per output element: for a conv-like op the output Offset()
// (35), bias and per-channel multiplier/shift loads (3),
// MultiplyByQuantizedMultiplier (left shift, 64-bit rounding doubling high
// multiply on MACCS, rounding divide by power of two: ~25), output offset,
// two clamps and the store (5), the three enclosing loops (7): 75. The same
// order for element-wise reference ops (ADD: three rescales per element).
inline constexpr int64_t kReferenceElement = 75;
// SOFTMAX (TFLM reference_ops::Softmax, int8, gemmlowp fixed point) per
// element: the max pass (4); the sum pass (input_diff, beta rescale ~20,
// exp_on_negative_values ~245: 5 fixed-point multiplies of the polynomial,
// 7 barrel-shifter stages of multiply + mask + select at ~20, each 64-bit
// SaturatingRoundingDoublingHighMul ~14; accumulate ~5) ~275; the output pass
// (rescale, exp again, the reciprocal multiply and rounding shift, offset,
// clamp, store) ~300: 579.
inline constexpr int64_t kReferenceSoftmaxElement = 579;
// SOFTMAX per row: GetReciprocal (CLZ, one_over_one_plus_x_for_x_in_0_1: 3
// Newton-Raphson steps of 2 fixed-point multiplies, ~150) and the shape
// arithmetic (MatchingFlatSizeSkipDim, MatchingDim with live DCHECKs, ~60).
inline constexpr int64_t kReferenceSoftmaxRow = 210;
// A TFLM reference kernel's Eval before its loops: fetching the eval tensors
// and building RuntimeShapes for input, filter, bias and output (GetTensorShape
// copies the dims), the per-channel parameter pointers.
inline constexpr int64_t kReferenceEval = 150;
// Splitting an op over 5 threads and joining: acquiring the synchronizer
// and 4 threads, setting their entry points and 3 arguments each, starting
// them, and the join barrier.
inline constexpr int64_t kForkJoin = 60;

// XC_conv2d_v2's Eval before its pixel loop (TM xcore_conv2d_v2.cc): five
// GetEvalInput calls and their GetTensorData (~18 each), the micro context and
// thread config (~15), the shared job and scratch pointers (~15), the call of
// the thread worker and nn::execute's set-up of its output pointer (~30).
inline constexpr int64_t kConvEval = 150;
// Calls of lib_nn's aggregate functions (each through its C++ wrapper, e.g.
// nn::mat_mul_direct_int8 -> mat_mul_direct_int8_impl_asm: 6 slots), entry
// and exit counted in the .S files, with their fetch stalls:
// aggregate_fn_direct_int8.S: DUALENTSP, 3 STD, 10 setup bundles; VSTR, VSTD,
// 3 LDD, RETSP; stalls 6; the kh/kw loop bundles of a 1x1 (4): 6+14+6+6+4.
inline constexpr int64_t kAggregateCall = 36;
// aggregate_fn_generic_int8.S on top of kAggregateCall: 6 more setup bundles
// (the K % 32 and step computations) and its tail loop, which runs the last
// 32-byte chunk as 16 x {VLMACCR ; BT} plus VLDC and 4 step bundles
// (37 slots, no stall) where the full-chunk loop would take 26: 6 + 11.
inline constexpr int64_t kGenericAggregateExtra = 17;
// aggregate_fn_direct_int8_dw.S: wrapper 6, DUALENTSP, 3 STD, 10 setup
// bundles, exit (shift, VSTR, VSTD, 3 LDD, RETSP) 7, stalls 6.
inline constexpr int64_t kDepthwiseAggregateCall = 33;
// Per kernel row of a direct aggregate (the kh loop's MOV and BT bundles).
inline constexpr int64_t kKernelRowLoop = 2;
// memcpy_fn_valid.S (ImToColValid, xformer's Conv2DValidIndirect): entry
// (DUALENTSP, 4 STD, STW, 13 parameter bundles) 19, exit 10, its C++ call 5.
inline constexpr int64_t kIm2colCall = 34;
// memcpyfn_deref (Conv2DValidDirect, Depthwise*ValidDirect): a C function
// returning X + v*row + h*pixel + c: 2 MUL, 3 ADD and the call.
inline constexpr int64_t kDerefCall = 13;
// vpu_memmove_word_aligned.S: 3 bundles per 32-byte vector ({VLDD}{VSTD}{BT},
// 2 of 3 access memory: half a fetch stall) and 8 around it (entry tests,
// the masked tail VLDR/VSTRPV, RETSP); vpu_memset_256.S: 2 per vector
// ({VSTR}{BT}) and 8 around it. XC_pad's Eval loop (TM xcore_pad.cc): the
// two calls through the function pointer and the pointer steps, 8 per row;
// its Eval entry (tensors, the zero-point broadcast) 50.
inline constexpr int64_t kMemmoveCall = 8;
inline constexpr int64_t kMemsetCall = 8;
inline constexpr int64_t kPadRowLoop = 8;
inline constexpr int64_t kPadEval = 50;

// The XC ops of an xformed file (devices/xs3/xc/), on top of the above.
// Of kConvEval, the part each thread runs itself: conv2d_v2_thread_worker
// (TM xcore_conv2d_v2.cc) and nn::execute's set-up of its output pointer.
// An op split over N regions pays it in every region; the rest of kConvEval
// (tensors, shared job, thread_call) once.
inline constexpr int64_t kConvThreadEntry = 30;
// im2col taps as the XC kernel emulates them: memcpy_fn_valid.S's iw_loop
// (kIm2colTap, 5 bundles) holds a VLDR and a VSTRPV, its ic_loop (3 per extra
// chunk) a VLDD and a VSTD, and its exit (in kIm2colCall) the VCLRDR and VSTD
// of the zero tail; the emulator counts those VPU instructions itself.
inline constexpr int64_t kIm2colTapVpu = 2;
inline constexpr int64_t kIm2colChunkVpu = 2;
inline constexpr int64_t kIm2colZeroTailVpu = 2;
// thread_call.S (TM), on the calling thread: ENTSP, 2 STD, LDW, LDD, BF (no
// other thread), LDW, LDAW, LDW, SET sp, MSYNC, NOP, BLA, MSYNC, MOV, SET
// sp, 2 LDD, RETSP (single issue): 19. Each thread's worker call is a
// kFunctionCall in its region; starting and joining the other threads of a
// multi-thread file (thread_variable_setup, SET t[]) is kForkJoin.
inline constexpr int64_t kThreadCall = 19;
// XC_lookup / XC_softmax Eval before their thread calls (TM xcore_lookup.cc,
// xcore_softmax.cc): three GetEvalInput/Output + GetTensorData (~18 each),
// the micro context and thread config (~15), the shared-data stores (~6).
// XC_add's Eval (TM xcore_add.cc: three tensors, FlatSize, the call of
// add_elementwise) is of the same order and is charged the same.
inline constexpr int64_t kElementwiseEval = 75;
// XC_slice Eval (TM xcore_slice.cc): two tensors (~36) and the op data's
// start/size/offset/function pointer (~4); per copy the call through the
// function pointer's argument moves and the two pointer steps (5).
inline constexpr int64_t kSliceEval = 40;
inline constexpr int64_t kSliceCopyLoop = 5;
// lookup8.S: entry (DUALENTSP, STD, 5 set-up bundles, MUL, BF, BRU) 10 and
// exit (LDD, RETSP) 2; per element a block of 3 bundles that all access
// memory ({LD8U}, {SUB ; LD8U}, ST8), so FetchStalls adds 1.5 an element.
inline constexpr int64_t kLookup8Call = 12;
inline constexpr int64_t kLookup8Element = 3;
// lib_nn softmax.c (XC_softmax, float LUT), compiled C: softmax_exp_sum per
// element LD8S, ADD 128, LDW lut[], FADD, the loop's ADD and BT (5);
// softmax_exp_div per element LD8S, ADD, LDW, FMUL, roundf (a libm call,
// ~12), FSUB 128, the float-to-int conversion (a compiler-rt call, ~10), ST8
// and the loop (30); softmax_calculate_inv_sum: 4 FADD, the float divide
// (software, ~25), FMUL, store (30).
inline constexpr int64_t kSoftmaxSumElement = 5;
inline constexpr int64_t kSoftmaxDivElement = 30;
inline constexpr int64_t kSoftmaxInvSum = 30;
}  // namespace cost

// Chip cycles for `slots` issued by one thread.
inline int64_t SingleThreadCycles(int64_t slots) { return slots * kCyclesPerIssueSlot; }
inline double CyclesToMicroseconds(double cycles) { return cycles / kTileClockMhz; }

// Instruction-fetch stalls of a straight-line or loop body of `bundles` issue
// slots of which `memory_bundles` load or store data. ISA fact (XCore XS1
// architecture, kept by its successors): an instruction that does not access
// data memory prefetches instructions; when a thread's buffer runs dry it
// issues a fetch no-op (FNOP) taking a slot. With 64 bits fetched per
// opportunity (two 32-bit dual-issue bundles), a body needs
// max(0, memory_bundles - bundles / 2) FNOPs.
int64_t FetchStalls(int64_t bundles, int64_t memory_bundles);

// One call of lib_nn's vpu_memmove_word_aligned.S / vpu_memset_256.S over
// `bytes` bytes (XC_pad's row copies and fills; XC_slice and other data
// movement should count with these, not with kChunkLoop, which is the MAC
// loop's).
int64_t MemmoveSlots(int64_t bytes);
int64_t MemsetSlots(int64_t bytes);
// A non-VPU copy (TM's memmove wrapper, XC_conv2d_v2's partial-output
// memcpy): the call and a word load and store per word.
int64_t ScalarCopySlots(int64_t bytes);
// A row copy of XC_pad / XC_slice: vpu_memmove_word_aligned when xcore-opt
// marked the rows VPU-able (option v), else ScalarCopySlots.
int64_t RowCopySlots(bool vpu_copy, int64_t bytes);
// TM xcore_slice.cc's Eval without dispatch: `copies` row copies of
// `run_bytes`.
int64_t XcSliceEvalSlots(int64_t copies, int64_t run_bytes, bool vpu_copy);
// TM xcore_pad.cc's Eval without dispatch, in its own terms (options s, n, l,
// p, e, v): a memset of `start` bytes when there are any, `copies` times a
// row copy of `size` bytes and a vpu_memset_256 of `pad_size` (called even
// for 0 bytes: its 8 slots of entry and exit), a last row copy and a memset
// of `end`; row copies by RowCopySlots.
int64_t XcPadEvalSlots(int64_t start, int64_t copies, int64_t size, int64_t pad_size,
                       int64_t end, bool vpu_copy);
// XC_pad of an NHWC image of `rows` rows of `row_bytes` into one with
// `row_gap` padding bytes between rows, `start` bytes before and `end` after:
// XcPadEvalSlots + dispatch.
int64_t PadOpSlots(int64_t rows, int64_t row_bytes, int64_t row_gap, int64_t start, int64_t end);
// The same for an op's implicit SAME padding: the XC_pad xformer inserts in
// front of a padded conv/depthwise (0 when the window needs no padding).
int64_t ImplicitPadSlots(int batches, int in_h, int in_w, int bytes_per_pixel, int out_h,
                         int out_w, int filter_h, int filter_w, int stride_h, int stride_w,
                         int dilation_h, int dilation_w, int pad_top, int pad_left);
// XC_pad_3_to_4 over `pixels` 3-byte pixels (pad_3_to_4.S), dispatch included.
int64_t Pad3To4Slots(int64_t pixels);
// The same without dispatch (the Eval's call of pad_3_to_4.S).
int64_t Pad3To4EvalSlots(int64_t pixels);
// lookup8.S over `elements` bytes.
int64_t Lookup8Slots(int64_t elements);
// One 16-channel group of a depthwise conv beyond its VPU instructions and
// per-tap branches: the deref memcpy call, the aggregate call, kernel-row
// loops and the fetch stalls of the tap loop.
int64_t DepthwiseGroupSlots(int filter_h, int filter_w);
// SOFTMAX's reference kernel over `rows` rows of `depth` elements.
int64_t ReferenceSoftmaxSlots(int64_t rows, int64_t depth);

// Slots of an op's busiest thread when its `parallel_slots` of kernel work are
// split over `threads` threads by `work_units` equal units (output rows or
// channel groups): whole units per thread, so imbalance when units % threads
// != 0; plus the fork/join cost. `serial_slots` (dispatch) is not split.
// Returns serial + parallel when the op cannot be split.
int64_t BusiestThreadSlots(int64_t serial_slots, int64_t parallel_slots, int64_t work_units,
                           int threads);

// An op whose thread split is fixed by its file (xformer's per-thread
// regions): dispatch + its busiest region + fork/join when it has more than
// one region; dispatch + the sum of its regions (one thread) otherwise.
int64_t RegionThreadSlots(int64_t serial_slots, const int64_t* region_slots, int region_count);

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_CYCLE_MODEL_H_
