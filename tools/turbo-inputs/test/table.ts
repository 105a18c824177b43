// The edits a contributor makes, and which packages' tasks each may affect. `dependents: true` adds
// every package that depends on the affected ones (derived from the package.json files), because
// they import what changed. @neox/check-deps scans the sources and tests of every package, so an
// edit to any of them is an input of its test too; this package's own test reads every file.
import type { EditRow } from "../src/index";

const CHECK_DEPS = "@neox/check-deps";
// This test itself reads the whole repository (every turbo.json, package.json and the table's files).
const TURBO_INPUTS = "@neox/turbo-inputs";

export const TEST_ROWS: readonly EditRow[] = [
  {
    what: "a dependency's source",
    file: "packages/config/src/derive.ts",
    affects: ["@neox/config", CHECK_DEPS, TURBO_INPUTS],
    dependents: true,
  },
  {
    what: "a new source file",
    file: "packages/tokenize/src/added.ts",
    kind: "create",
    affects: ["@neox/tokenize", CHECK_DEPS, TURBO_INPUTS],
    dependents: true,
  },
  {
    what: "a package's own test",
    file: "packages/data-mmap/test/npy-cache.test.ts",
    affects: ["@neox/data-mmap", CHECK_DEPS, TURBO_INPUTS],
    dependents: false,
  },
  {
    what: "a package's test helper",
    file: "packages/kernels/test/helpers/parity.ts",
    affects: ["@neox/kernels", CHECK_DEPS, TURBO_INPUTS],
    dependents: false,
  },
  {
    what: "an end-to-end test",
    file: "tests/cli.e2e.test.ts",
    affects: ["@neox/e2e-tests", CHECK_DEPS, TURBO_INPUTS],
    dependents: false,
  },
  {
    what: "an end-to-end helper",
    file: "tests/helpers/run-neox.ts",
    affects: ["@neox/e2e-tests", CHECK_DEPS, TURBO_INPUTS],
    dependents: false,
  },
  {
    what: "a kernel source",
    file: "kernels/cpu/gelu.cc",
    affects: ["@neox/kernels", TURBO_INPUTS],
    dependents: true,
  },
  {
    what: "the Node-API glue",
    file: "packages/kernels/native/module.cc",
    affects: ["@neox/kernels", TURBO_INPUTS],
    dependents: true,
  },
  {
    what: "the MPI engine's source",
    file: "kernels/mpi/engine.cc",
    affects: ["@neox/kernels", TURBO_INPUTS],
    dependents: true,
  },
  {
    what: "the MPI addon's Node-API glue",
    file: "packages/kernels/native-mpi/module.cc",
    affects: ["@neox/kernels", TURBO_INPUTS],
    dependents: true,
  },
  {
    what: "a C++ kernel test (not read by any vitest task)",
    file: "kernels/tests/gemm-test.cc",
    affects: [TURBO_INPUTS],
    dependents: false,
  },
  {
    what: "a package's tsconfig",
    file: "packages/tokenize/tsconfig.json",
    affects: ["@neox/tokenize", TURBO_INPUTS],
    dependents: true,
  },
  { what: "the shared tsconfig", file: "tsconfig.base.json", affects: "all", dependents: false },
  { what: "the shared vitest settings", file: "vitest.shared.ts", affects: "all", dependents: false },
  {
    what: "a package README (the packaging test runs its example)",
    file: "packages/data-mmap/README.md",
    affects: ["@neox/data-mmap", TURBO_INPUTS],
    dependents: true,
  },
  {
    what: "a test fixture that end-to-end tests also read",
    file: "packages/data-mmap/test/fixtures/corpus-u16.json",
    affects: ["@neox/data-mmap", "@neox/e2e-tests", TURBO_INPUTS],
    dependents: false,
  },
  {
    what: "bench code (a package's own file, read by check-deps)",
    file: "packages/models/bench/models.ts",
    affects: ["@neox/models", CHECK_DEPS, TURBO_INPUTS],
    dependents: false,
  },
  {
    what: "a fixture another package's tests read",
    file: "packages/tensor/test/fixtures/engine-golden.json",
    affects: ["@neox/tensor", "@neox/models", "@neox/e2e-tests", TURBO_INPUTS],
    dependents: false,
  },
  {
    what: "a preset config",
    file: "configs/tiny.yml",
    affects: ["@neox/config", "@neox/models", "@neox/app-cli", "@neox/e2e-tests", TURBO_INPUTS],
    dependents: false,
  },
  {
    what: "a fixture script run by an end-to-end test",
    file: "tools/fixtures/data/write_indexed.py",
    affects: ["@neox/e2e-tests", TURBO_INPUTS],
    dependents: false,
  },
  {
    what: "shared reference data",
    file: "$SHARED/data/corpora/sample.txt",
    affects: "all",
    dependents: false,
  },
  {
    what: "the shared reference spec",
    file: "$SHARED/reference/neox-spec.md",
    affects: "all",
    dependents: false,
  },
  {
    what: "a build output (ignored by git)",
    file: "packages/data-mmap/dist/index.js",
    kind: "create",
    affects: [],
    dependents: false,
  },
];

export const TEST_CPP_ROWS: readonly EditRow[] = [
  {
    what: "a C++ kernel test",
    file: "kernels/tests/gemm-test.cc",
    affects: ["@neox/kernels"],
    dependents: false,
  },
  { what: "a kernel source", file: "kernels/cpu/gelu.cc", affects: ["@neox/kernels"], dependents: false },
  { what: "a TypeScript source", file: "packages/config/src/derive.ts", affects: [], dependents: false },
];
