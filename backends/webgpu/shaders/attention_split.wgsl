// Decode attention (flash-decoding): a step's few query rows (B·T·Hq of them, T ≤ a handful) cannot fill a GPU
// with one invocation each, so the keys are split too. One workgroup per (query row, split); a split is PER
// consecutive chunks of WG key slots, taken in turn with an online softmax. Per chunk, each invocation scores one
// key (q·k with q pre-scaled, in f32), the workgroup takes the chunk's max and Σ exp(s − m), rescales its running
// (m, l, o) and accumulates o[d] for its output dims d = lid, lid + WG, … over the chunk's keys.
// DIRECT (one split covers every key): out = o / l, zeros when no key was visible. Otherwise the split's partial
// (m, l, o[DV]) goes to dst at (row · splits + split) · (DV + 2) and attention_combine.wgsl merges the splits
// (m = −inf, l = 0, o = 0 where no key of the split was visible).
// Masks as attention.wgsl: key j is visible iff (not CAUSAL or j ≤ i + S − T) and (no seq ids or
// qseq[b,i] = kseq[b,j]). The header defines TY, DH, DV, CAUSAL, DIRECT, DT (dst's element type) and
// q_dot_k(first element of a key) -> f32 over qw: with DH % 4 = 0 the keys are bound as vec4 and read 16 bytes at a
// time (each invocation reads its own key, so a warp's load touches 32 rows: 4× fewer such loads).
// #include "row_reduce.wgsl"
// #include "attention_row.wgsl"
const OPT: u32 = (DV + WG - 1u) / WG;
var<workgroup> qw: array<f32, DH>;
var<workgroup> pw: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let flat = group_index(wid, nwg);
  let splits = P.splits;
  let row = flat / splits;
  if (row >= P.n) {
    return;
  }
  let split = flat % splits;
  let Hk = P.hkv;
  let S = P.sk;
  let q = query_row(row);
  let b = q.b;
  let g = q.g;
  let last = q.last;
  let doc = q.doc;
  for (var d = lid; d < DH; d = d + WG) {
    qw[d] = f32(qs[row * DH + d]) * P.scale;
  }
  workgroupBarrier();
  let vrow = (b * S * Hk + g) * DV;
  var m = -inf_f32();
  var l = 0.0;
  var o: array<f32, OPT>;
  let c1 = min((split + 1u) * P.per, (S + WG - 1u) / WG);
  for (var c = split * P.per; c < c1; c = c + 1u) {
    let j0 = c * WG;
    let j = j0 + lid;
    var visible = j < last;
    if (visible && P.has_seq != 0u) {
      visible = kseq[b * S + j] == doc;
    }
    var score = -inf_f32();
    if (visible) {
      score = q_dot_k(((b * S + j) * Hk + g) * DH);
    }
    let mn = max_nan(m, reduce_max(score, lid));
    var p = 0.0;
    if (visible) {
      p = exp(score - mn);
    }
    pw[lid] = p;
    let lc = reduce_sum(p, lid);
    // A chunk with no visible key changes nothing (and would make exp(−inf − (−inf))).
    if (lc != 0.0) {
      let corr = select(exp(m - mn), 0.0, l == 0.0);
      l = l * corr + lc;
      m = mn;
      // A constant trip count (slots past S re-read slot S − 1 with weight 0) lets the compiler unroll and keep
      // several loads of V in flight; a masked key's value is skipped, not multiplied by 0 (it may hold anything).
      for (var od = 0u; od < OPT; od = od + 1u) {
        let d = lid + od * WG;
        if (d < DV) {
          var acc = 0.0;
          for (var t = 0u; t < WG; t = t + 1u) {
            let pt = pw[t];
            let vt = f32(vs[vrow + min(j0 + t, S - 1u) * Hk * DV + d]);
            acc = acc + select(0.0, pt * vt, pt != 0.0);
          }
          o[od] = o[od] * corr + acc;
        }
      }
    }
  }
  if (DIRECT) {
    let inv = select(1.0 / l, 0.0, l == 0.0);
    for (var od = 0u; od < OPT; od = od + 1u) {
      let d = lid + od * WG;
      if (d < DV) {
        dst[row * DV + d] = DT(o[od] * inv);
      }
    }
  } else {
    let pbase = flat * (DV + 2u);
    for (var od = 0u; od < OPT; od = od + 1u) {
      let d = lid + od * WG;
      if (d < DV) {
        dst[pbase + 2u + d] = DT(o[od]);
      }
    }
    if (lid == 0u) {
      dst[pbase] = DT(m);
      dst[pbase + 1u] = DT(l);
    }
  }
}
