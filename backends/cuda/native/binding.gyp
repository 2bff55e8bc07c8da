# The CUDA addon of @falcon-h1/backend-cuda. Deliberately NOT at the package top level: pnpm/npm run
# `node-gyp rebuild` at install for a top-level binding.gyp, and the CUDA build must stay out of the default install.
# Build: `pnpm --filter @falcon-h1/backend-cuda build:native` (node-gyp rebuild -C native). Machine facts come from
# config.cjs (CUDA_HOME, CUBLASLT_HOME, FH_CUDA_ARCHS). Output: native/build/Release/falcon_h1_cuda.node
{
  "variables": {
    "cuda_home%": "<!(node config.cjs cuda-home)",
  },
  "targets": [
    {
      "target_name": "falcon_h1_cuda",
      "sources": ["src/addon.cc", "src/allocator.cc", "src/nccl.cc", "<!@(node config.cjs kernels)"],
      "include_dirs": ["<!@(node config.cjs include-dirs)"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "<!@(node config.cjs defines)"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2"],
      "libraries": ["<!@(node config.cjs libraries)"],
      "ldflags": ["<!@(node config.cjs ldflags)"],
      "variables": {
        "nvcc_flags": ["<!@(node config.cjs nvcc-flags)"],
      },
      "rules": [
        {
          "rule_name": "nvcc",
          "extension": "cu",
          "inputs": ["<(RULE_INPUT_PATH)"],
          "outputs": ["<(INTERMEDIATE_DIR)/<(RULE_INPUT_ROOT).o"],
          "process_outputs_as_sources": 1,
          "message": "nvcc <(RULE_INPUT_PATH)",
          "action": ["<(cuda_home)/bin/nvcc", "<@(nvcc_flags)", "-c", "<(RULE_INPUT_PATH)", "-o", "<@(_outputs)"],
        }
      ],
    }
  ],
}
