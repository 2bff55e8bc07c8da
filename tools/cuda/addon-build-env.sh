# addon-build-env.sh — sourced by the GPU-host scripts (gpu-run.sh, parallel-run.sh, train-dp-run.sh,
# backends/cuda/bench/attention-gpu.sh) before they run backends/cuda/native/build-direct.sh: finds cuBLASLt where
# the host's toolkit keeps it (its header is not always under CUDA's own include dir) and points the build at the
# carried node-addon-api and the portable Node's headers. Expects $ROOT (the repository root); sets CUBLASLT_HOME
# (when the header sits next to a lib/lib64 dir), CUBLASLT_HEADER (the header found, or empty), FH_NODE_ADDON_API
# and NODE_INCLUDE.
CUBLASLT_HEADER=$(find /usr/local /usr/include /usr/lib /opt -name cublasLt.h -not -path '*/proc/*' 2>/dev/null | head -1)
if [[ -n $CUBLASLT_HEADER ]]; then
  export CUBLASLT_HOME=$(dirname "$(dirname "$CUBLASLT_HEADER")")
  [[ -d $CUBLASLT_HOME/lib64 || -d $CUBLASLT_HOME/lib ]] || unset CUBLASLT_HOME
fi
export FH_NODE_ADDON_API=$ROOT/.gpu/cuda/node-addon-api NODE_INCLUDE=/opt/node/include/node
