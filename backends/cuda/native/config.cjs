#!/usr/bin/env node
/*
 * config.cjs — answers binding.gyp's questions about this machine (gyp runs `node config.cjs <what>`):
 *   cuda-home          CUDA_HOME / CUDA_PATH / the directory above `nvcc` on PATH / /usr/local/cuda
 *   cublaslt           1 when cublasLt.h is found (CUDA's include dir or CUBLASLT_HOME/include), else 0
 *   include-dirs       node-addon-api, CUDA's and cuBLASLt's include dirs
 *   kernels            native/kernels/*.cu
 *   nvcc-flags         -std=c++17 -O3 -Xcompiler -fPIC and one -gencode per arch (FH_CUDA_ARCHS, default "80 90";
 *                      the last arch also embeds PTX for newer GPUs); -DFH_NO_CUBLASLT without cuBLASLt
 *   defines            FH_NO_CUBLASLT without cuBLASLt
 *   libraries          static cudart (the driver is loaded at run time), cuBLASLt when found
 *   ldflags            run paths where libcublasLt.so.13 usually lives
 */
'use strict';
const { existsSync, readdirSync, realpathSync } = require('node:fs');
const { delimiter, dirname, join, resolve } = require('node:path');

function isCudaHome(dir) {
  return existsSync(join(dir, 'include', 'cuda_runtime.h')) && existsSync(join(dir, 'bin', 'nvcc'));
}

function cudaHome() {
  for (const v of [process.env.CUDA_HOME, process.env.CUDA_PATH]) if (v && isCudaHome(v)) return resolve(v);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || !existsSync(join(dir, 'nvcc'))) continue;
    const home = resolve(dirname(realpathSync(join(dir, 'nvcc'))), '..');
    if (isCudaHome(home)) return home;
  }
  return '/usr/local/cuda';
}

function cublasLtDirs() {
  const home = cudaHome();
  const roots = [process.env.CUBLASLT_HOME, home].filter(Boolean);
  for (const root of roots) {
    if (existsSync(join(root, 'include', 'cublasLt.h'))) {
      const lib = ['lib64', 'lib'].map((l) => join(root, l)).find((l) => existsSync(l)) ?? join(root, 'lib64');
      return { include: join(root, 'include'), lib };
    }
  }
  return undefined;
}

function addonApi() {
  if (process.env.FH_NODE_ADDON_API) return process.env.FH_NODE_ADDON_API;
  return dirname(require.resolve('node-addon-api/package.json', { paths: [__dirname, process.cwd()] }));
}

const what = process.argv[2];
const lt = cublasLtDirs();
const home = cudaHome();
const archs = (process.env.FH_CUDA_ARCHS ?? '80 90').split(/[\s,]+/).filter(Boolean);
let out;
switch (what) {
  case 'cuda-home':
    out = home;
    break;
  case 'cublaslt':
    out = lt ? '1' : '0';
    break;
  case 'include-dirs':
    out = [addonApi(), join(home, 'include'), ...(lt && lt.include !== join(home, 'include') ? [lt.include] : [])].join(
      ' ',
    );
    break;
  case 'kernels':
    out = readdirSync(join(__dirname, 'kernels'))
      .filter((f) => f.endsWith('.cu'))
      .sort()
      .map((f) => `kernels/${f}`)
      .join(' ');
    break;
  case 'nvcc-flags': {
    const flags = ['-std=c++17', '-O3', '-Xcompiler', '-fPIC', `-I${join(home, 'include')}`];
    if (lt && lt.include !== join(home, 'include')) flags.push(`-I${lt.include}`);
    if (!lt) flags.push('-DFH_NO_CUBLASLT');
    archs.forEach((a, i) => {
      const code = i === archs.length - 1 ? `[sm_${a},compute_${a}]` : `sm_${a}`;
      flags.push(`-gencode=arch=compute_${a},code=${code}`);
    });
    out = flags.join(' ');
    break;
  }
  case 'defines':
    out = lt ? '' : 'FH_NO_CUBLASLT';
    break;
  case 'libraries': {
    const libs = [`-L${join(home, 'lib64')}`, '-lcudart_static', '-ldl', '-lrt', '-lpthread'];
    if (lt) {
      // Wheels ship only the versioned soname (libcublasLt.so.13): link it by file name then.
      const names = existsSync(lt.lib) ? readdirSync(lt.lib) : [];
      const versioned = names.filter((f) => /^libcublasLt\.so\.\d+$/.test(f)).sort();
      const flag = names.includes('libcublasLt.so') || versioned.length === 0 ? '-lcublasLt' : `-l:${versioned.at(-1)}`;
      libs.push(`-L${lt.lib}`, flag);
    }
    out = libs.join(' ');
    break;
  }
  case 'ldflags': {
    const paths = new Set(['/usr/local/cuda/lib64', join(home, 'lib64')]);
    if (lt) paths.add(lt.lib);
    out = [...paths].map((p) => `-Wl,-rpath,${p}`).join(' ');
    break;
  }
  default:
    console.error(`config.cjs: unknown question '${what}'`);
    process.exit(2);
}
process.stdout.write(`${out}\n`);
