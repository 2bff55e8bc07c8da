// Shared helpers, included before every shader (after the generated bindings and `const WG`).

// Flat index of a workgroup in a grid spread over x, y and z (grids beyond maxComputeWorkgroupsPerDimension).
fn group_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + nwg.x * (wid.y + nwg.y * wid.z);
}

// Entry d of an 8-entry uniform array (shapes and strides).
fn u8at(a: array<vec4<u32>, 2>, d: u32) -> u32 {
  return a[d >> 2u][d & 3u];
}

// NaN tests on the bits: immune to compilers that assume finite math.
fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// NaN and infinity from bits held in private variables (a constant bitcast is rejected at shader creation).
var<private> nan_bits: u32 = 0x7fc00000u;
var<private> inf_bits: u32 = 0x7f800000u;

fn nan_f32() -> f32 {
  return bitcast<f32>(nan_bits);
}

fn inf_f32() -> f32 {
  return bitcast<f32>(inf_bits);
}

// NaN-propagating max and min.
fn max_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) {
    return nan_f32();
  }
  return max(a, b);
}

fn min_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) {
    return nan_f32();
  }
  return min(a, b);
}

fn sigmoid_f(x: f32) -> f32 {
  if (x >= 0.0) {
    return 1.0 / (1.0 + exp(-x));
  }
  let e = exp(x);
  return e / (1.0 + e);
}

fn silu_f(x: f32) -> f32 {
  return x * sigmoid_f(x);
}

// log(1 + u) for u >= 0, accurate for small u.
fn log1p_f(u: f32) -> f32 {
  if (u < 0.05) {
    return u * (1.0 - u * (0.5 - u * (0.33333333 - u * (0.25 - u * (0.2 - u * 0.16666667)))));
  }
  return log(1.0 + u);
}

fn softplus_f(x: f32) -> f32 {
  return max(x, 0.0) + log1p_f(exp(-abs(x)));
}

// tanh with Cephes' polynomial near 0 (no cancellation) and saturation for large |x| (no inf/inf).
fn tanh_f(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.625) {
    let z = x * x;
    return ((((-5.70498872745e-3 * z + 2.06390887954e-2) * z - 5.37397155531e-2) * z + 1.33314422036e-1) * z
      - 3.33332819422e-1) * z * x + x;
  }
  let e = exp(-2.0 * min(a, 20.0));
  let t = (1.0 - e) / (1.0 + e);
  return select(t, -t, x < 0.0);
}

// sin and cos of an f32 angle to about 1 ulp: Cody-Waite reduction by pi/2 in three parts (exact products for
// |k| < 2^12, i.e. |x| < ~6400; beyond, still a few ulp to |x| ~ 1e5), then Cephes' minimax polynomials.
fn sincos_f(x: f32) -> vec2<f32> {
  let k = round(x * 0.636619772367581343);
  let r = ((x - k * 1.5703125) - k * 4.83751296997070312e-4) - k * 7.54978995489188216e-8;
  let z = r * r;
  let s = ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
  let c = ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
  let q = i32(k) & 3;
  var sn = s;
  var cs = c;
  if (q == 1) {
    sn = c;
    cs = -s;
  } else if (q == 2) {
    sn = -s;
    cs = -c;
  } else if (q == 3) {
    sn = -c;
    cs = s;
  }
  return vec2<f32>(sn, cs);
}
