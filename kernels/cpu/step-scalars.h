// Slots of the step-scalars buffer: one small fp32 device buffer that carries every number a
// training step changes between steps. The host writes the IN slots before the step (a plain
// write into a buffer that already exists, which a recorded plan allows); kernels read them and
// write the OUT slots, which the host reads back after the step for logging. No optimizer kernel
// takes these numbers as host arguments, so a planned step needs no host round trip.
// packages/tensor/src/optim/step-scalars.ts mirrors this layout.
#pragma once

namespace neox {
enum StepSlot : int {
  // IN: learning rate of this step.
  kSlotLr = 0,
  // IN: optimizer step t, counted from 1 over applied (not skipped) steps. fp32 holds every
  // integer up to 2^24 exactly, far beyond any schedule we run.
  kSlotStep = 1,
  // IN: raw accumulated gradient → true mean gradient, 1/(grad_accum_steps · loss_scale).
  kSlotUnscale = 2,
  // IN: clip_grad_norm_'s max_norm; <= 0 turns clipping off.
  kSlotMaxNorm = 3,
  // OUT: global L2 norm of the true gradient (after unscale, before clipping).
  kSlotGradNorm = 4,
  // OUT: what the optimizer multiplies every raw gradient by: unscale · clipping coefficient.
  kSlotGradScale = 5,
  // OUT: 1 when a gradient is NaN or Inf; the optimizer kernels then leave everything untouched.
  kSlotFoundInf = 6,
  kStepSlotCount = 8,
};
}  // namespace neox
