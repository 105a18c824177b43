// Every kernel tensor ops launch, by native name: `k.geluForward(backend, { out, inp, n, tanhApprox })`.
// One declaration per kernel lives in the group files beside this one; kernel.ts makes each a
// typed launcher.

import { ATTENTION } from "./attention";
import { ELEMENTWISE } from "./elementwise";
import { GEMM } from "./gemm";
import { LOSS } from "./loss";
import { NORM } from "./norm";
import { OPTIMIZER } from "./optimizer";

export const k = { ...ELEMENTWISE, ...GEMM, ...NORM, ...LOSS, ...OPTIMIZER, ...ATTENTION };

export type KernelName = keyof typeof k;
